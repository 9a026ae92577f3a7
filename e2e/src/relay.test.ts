import { decodeEnvelope, topicFor } from '@factlib/core'
import { parseLsn } from '@factlib/wal'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readTopics } from './support/kafka-reader.js'
import { type OwlpostProcess, startOwlpost } from './support/owlpost-process.js'
import { createScenario, utf8 } from './support/scenario.js'

describe('owlpost relays committed facts to Kafka', () => {
  let world: Awaited<ReturnType<typeof createScenario>>
  let owlpost: OwlpostProcess

  beforeAll(async () => {
    world = await createScenario('relay')
    owlpost = await startOwlpost(world.owlpostEnv)
    await owlpost.ready()
    await world.sql`create table accounts (id text primary key, balance int not null)`
  })

  afterAll(async () => {
    await owlpost?.stop()
    await world?.sql.end()
  })

  it('delivers committed facts with topic, key, headers and the exact envelope bytes; never rolled-back ones', async () => {
    const { sql, producer, prefix } = world
    const committed = await sql.begin(async (tx) => {
      await tx`insert into accounts values ('acc-1', 10)`
      const opened = await producer.emit(tx, {
        aggregateType: 'account',
        aggregateId: 'acc-1',
        eventType: 'account.opened',
        payload: utf8('{"balance":10}'),
        metadata: { source: 'e2e' },
        traceInfo: {
          traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
          spanId: '00f067aa0ba902b7',
          isSampled: true,
        },
      })
      const audited = await producer.emit(tx, {
        aggregateType: 'audit',
        aggregateId: 'acc-1',
        eventType: 'audit.recorded',
        payload: utf8('opened'),
      })
      return [opened, audited]
    })
    await sql
      .begin(async (tx) => {
        await tx`insert into accounts values ('acc-2', 5)`
        await producer.emit(tx, {
          aggregateType: 'account',
          aggregateId: 'acc-2',
          eventType: 'account.opened',
          payload: utf8('{}'),
        })
        throw new Error('rollback')
      })
      .catch(() => undefined)
    const afterRollback = await sql.begin(async (tx) =>
      producer.emit(tx, {
        aggregateType: 'account',
        aggregateId: 'acc-1',
        eventType: 'account.credited',
        payload: utf8('5'),
      }),
    )

    const topics = [topicFor(prefix, 'account'), topicFor(prefix, 'audit')]
    const records = await readTopics(world.kafka.brokers, topics, (seen) => seen.length >= 3, 30_000)
    await new Promise((resolve) => setTimeout(resolve, 1_000))
    expect(records).toHaveLength(3)
    expect(records.some((record) => record.key === 'acc-2')).toBe(false)

    const opened = records.find((record) => record.headers.event_id === committed[0]?.id)
    expect(opened?.topic).toBe(`${prefix}.account`)
    expect(opened?.key).toBe('acc-1')
    expect(opened?.headers.event_type).toBe('account.opened')
    expect(opened?.headers.trace_id).toBe('4bf92f3577b34da6a3ce929d0e0e4736')
    expect(opened?.headers.span_id).toBe('00f067aa0ba902b7')
    expect(opened?.headers.traceparent).toBe('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01')
    expect(parseLsn(opened?.headers.LSN ?? 'x')).toBeGreaterThan(0n)
    const envelope = decodeEnvelope(opened!.value)
    expect(envelope.id).toBe(committed[0]?.id)
    expect(envelope.createdAt).toBe(committed[0]?.createdAt)
    expect(envelope.metadata.source).toBe('e2e')
    expect(new TextDecoder().decode(envelope.payload)).toBe('{"balance":10}')

    const audit = records.find((record) => record.topic === `${prefix}.audit`)
    expect(audit?.headers.event_id).toBe(committed[1]?.id)
    const credited = records.find((record) => record.headers.event_type === 'account.credited')
    expect(credited?.headers.event_id).toBe(afterRollback.id)
  })

  it('confirms the slot up to what Kafka acknowledged and reports it', async () => {
    const { sql, slot } = world
    await sql.begin((tx) =>
      world.producer.emit(tx, {
        aggregateType: 'account',
        aggregateId: 'acc-9',
        eventType: 'x',
        payload: utf8(''),
      }),
    )
    const target = (await sql<{ lsn: string }[]>`select pg_current_wal_lsn()::text as lsn`)[0]!.lsn
    await expect
      .poll(
        async () => {
          const rows = await sql<{ lsn: string }[]>`
            select confirmed_flush_lsn::text as lsn from pg_replication_slots where slot_name = ${slot}`
          return parseLsn(rows[0]!.lsn) >= parseLsn(target)
        },
        { timeout: 20_000, interval: 250 },
      )
      .toBe(true)
    const metrics = await owlpost.metrics()
    expect(metrics).toMatch(/owlpost_facts_delivered_total\{topic="[^"]+\.account"\} [1-9]/)
    expect(metrics).toContain('owlpost_confirmed_lsn')
    const { body } = await owlpost.readiness()
    expect(body.role).toBe('active')
  })
})
