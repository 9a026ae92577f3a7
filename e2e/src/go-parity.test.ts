import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { encodeEnvelope, type FactEnvelope, uuidV7 } from '@factlib/core'
import { parseLsn } from '@factlib/wal'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readTopics } from './support/kafka-reader.js'
import { type OwlpostProcess, startOwlpost } from './support/owlpost-process.js'
import { createScenario, utf8 } from './support/scenario.js'

// A Go-era deployment, as the seed's recipe builds it and its consumers read it: a service emits
// envelopes the way the Go producer or the Python client writes them, through a plain
// `SELECT pg_logical_emit_message(true, prefix, bytes::bytea)` beside its own rows; a publication
// FOR ALL TABLES and a slot created beforehand; owlpost configured through a .env file with the
// Go owlpost's variable names only. Each row states what the Go relay (pkg/outbox/consumer/
// kafka.go, KafkaEventHandler) sets: event_id, event_type and LSN; with a non-empty trace id also
// trace_id, span_id and every trace metadata entry verbatim. `traceparent` is our one addition.

const w3cTraceId = '4bf92f3577b34da6a3ce929d0e0e4736'
const w3cSpanId = '00f067aa0ba902b7'
const goCreatedAt = 1_767_323_045_678_901_234n // nanoseconds, time.Now().UTC().UnixNano()
const pythonCreatedAt = 1_767_323_045_678_901n // microseconds, timestamp() * 1_000_000

interface ConformanceRow {
  name: string
  envelope: FactEnvelope
  /** The record's headers but LSN, which is the message's own position and checked apart. */
  headers: Record<string, string>
}

const goId = uuidV7()
const goUntracedId = uuidV7()

const rows: ConformanceRow[] = [
  {
    name: 'Go producer: UUIDv7 id, nanoseconds, a trace with a key of the service besides its own two',
    envelope: {
      id: goId,
      aggregateType: 'order',
      aggregateId: 'order-1',
      eventType: 'order.created',
      payload: utf8('{"total":10}'),
      createdAt: goCreatedAt,
      metadata: { source: 'orders-service' },
      traceInfo: {
        traceId: w3cTraceId,
        spanId: w3cSpanId,
        parentOp: 'POST /orders',
        isSampled: true,
        metadata: { tenant: 'acme' },
      },
    },
    headers: {
      event_id: goId,
      event_type: 'order.created',
      trace_id: w3cTraceId,
      span_id: w3cSpanId,
      parent_op: 'POST /orders',
      is_sampled: '1',
      tenant: 'acme',
      traceparent: `00-${w3cTraceId}-${w3cSpanId}-01`,
    },
  },
  {
    name: 'Go producer without a trace: trace_info always written, empty ids, empty parent_op and is_sampled',
    envelope: {
      id: goUntracedId,
      aggregateType: 'order',
      aggregateId: 'order-1',
      eventType: 'order.paid',
      payload: utf8('{}'),
      createdAt: goCreatedAt + 1n,
      metadata: {},
      traceInfo: { traceId: '', spanId: '', metadata: { parent_op: '', is_sampled: '' } },
    },
    headers: { event_id: goUntracedId, event_type: 'order.paid' },
  },
  {
    name: 'Python client outside a span: no id, microseconds, trace_info present but empty',
    envelope: {
      id: '',
      aggregateType: 'order',
      aggregateId: 'order-2',
      eventType: 'order.created',
      payload: utf8('{"total":3}'),
      createdAt: pythonCreatedAt,
      metadata: { source: 'django' },
      traceInfo: { traceId: '', spanId: '' },
    },
    headers: { event_id: '', event_type: 'order.created' },
  },
  {
    name: 'Python client inside a sampled Sentry span: no id, microseconds, parent_op and is_sampled',
    envelope: {
      id: '',
      aggregateType: 'invoice',
      aggregateId: 'invoice-7',
      eventType: 'invoice.issued',
      payload: utf8('{"amount":5}'),
      createdAt: pythonCreatedAt + 1n,
      metadata: {},
      traceInfo: { traceId: w3cTraceId, spanId: w3cSpanId, parentOp: 'http.server', isSampled: true },
    },
    headers: {
      event_id: '',
      event_type: 'invoice.issued',
      trace_id: w3cTraceId,
      span_id: w3cSpanId,
      parent_op: 'http.server',
      is_sampled: '1',
      traceparent: `00-${w3cTraceId}-${w3cSpanId}-01`,
    },
  },
  {
    name: 'Python client in an unsampled span with ids that are not W3C: headers verbatim, no traceparent',
    envelope: {
      id: '',
      aggregateType: 'invoice',
      aggregateId: 'invoice-7',
      eventType: 'invoice.voided',
      payload: utf8(''),
      createdAt: pythonCreatedAt + 2n,
      metadata: {},
      traceInfo: { traceId: 'sentry-trace-1', spanId: '', parentOp: '', isSampled: false },
    },
    headers: {
      event_id: '',
      event_type: 'invoice.voided',
      trace_id: 'sentry-trace-1',
      span_id: '',
      parent_op: '',
      is_sampled: '0',
    },
  },
  {
    name: 'a producer that writes no trace_info at all',
    envelope: {
      id: 'legacy-42',
      aggregateType: 'order',
      aggregateId: 'order-2',
      eventType: 'order.cancelled',
      payload: utf8('{}'),
      createdAt: 0n,
      metadata: {},
    },
    headers: { event_id: 'legacy-42', event_type: 'order.cancelled' },
  },
]

describe('a Go-era deployment switched to owlpost', () => {
  let world: Awaited<ReturnType<typeof createScenario>>
  let owlpost: OwlpostProcess
  /** A test_decoding slot made before the facts: the oracle for each message's own LSN. */
  let oracleSlot: string

  beforeAll(async () => {
    world = await createScenario('go_parity')
    const { sql, slot, publication } = world
    await sql`create table orders (id text primary key, status text not null)`
    // The seed's init-postgres.sh: a publication for every table and the slot made beforehand.
    await sql.unsafe(`create publication ${publication} for all tables`)
    await sql`select pg_create_logical_replication_slot(${slot}, 'pgoutput')`
    oracleSlot = `${slot}_oracle`
    await sql`select pg_create_logical_replication_slot(${oracleSlot}, 'test_decoding')`
    // Only the Go owlpost's variable names, from a .env file in the working directory.
    const workdir = mkdtempSync(join(tmpdir(), 'owlpost-go-era-'))
    const goNames = [
      'MASTER_DATABASE_URL',
      'KAFKA_BROKERS',
      'WAL_PREFIX',
      'REPLICATION_SLOT_NAME',
      'PUBLICATION_NAME',
      'SRC_SERVICE_NAME',
    ]
    writeFileSync(
      join(workdir, '.env'),
      `${goNames.map((name) => `${name}=${world.owlpostEnv[name]}`).join('\n')}\nAPP_NAME=owlpost\n`,
    )
    owlpost = await startOwlpost({}, { cwd: workdir, testSettings: false })
    await owlpost.ready()
  })

  afterAll(async () => {
    await owlpost?.stop()
    if (world && oracleSlot)
      await world.sql`select pg_drop_replication_slot(${oracleSlot})`.catch(() => undefined)
    await world?.sql.end()
  })

  it('produces the topic, key, value and exact header set the Go relay would, row changes ignored', async () => {
    const { sql, prefix } = world
    const emitted: Buffer[] = []
    for (const [index, row] of rows.entries()) {
      const bytes = Buffer.from(encodeEnvelope(row.envelope))
      emitted.push(bytes)
      await sql.begin(async (tx) => {
        await tx`insert into orders values (${`row-${index}`}, 'new')`
        await tx`select pg_logical_emit_message(true, ${prefix}, ${bytes}::bytea)`
        await tx`update orders set status = 'emitted' where id = ${`row-${index}`}`
      })
    }
    const oracle = await sql<{ lsn: string }[]>`
      select lsn::text as lsn from pg_logical_slot_peek_changes(${oracleSlot}, null, null)
      where data like 'message: transactional: 1 prefix: ' || ${prefix} || ',%'`
    expect(oracle).toHaveLength(rows.length)

    const topics = [...new Set(rows.map((row) => `${prefix}.${row.envelope.aggregateType}`))]
    const records = await readTopics(
      world.kafka.brokers,
      topics,
      (seen) => seen.length >= rows.length,
      30_000,
    )
    await new Promise((resolve) => setTimeout(resolve, 500))
    expect(records).toHaveLength(rows.length)

    for (const [index, row] of rows.entries()) {
      const record = records.find((candidate) => candidate.value.equals(emitted[index]!))
      expect(record, row.name).toBeDefined()
      expect(record!.topic, row.name).toBe(`${prefix}.${row.envelope.aggregateType}`)
      expect(record!.key, row.name).toBe(row.envelope.aggregateId)
      expect(record!.headers, row.name).toEqual({ ...row.headers, LSN: oracle[index]!.lsn })
      expect(record!.headers.LSN, row.name).toMatch(/^[0-9A-F]+\/[0-9A-F]+$/)
    }
    // Per aggregate, in commit order.
    const order2 = records.filter((record) => record.key === 'order-2')
    expect(order2.map((record) => record.headers.event_type)).toEqual(['order.created', 'order.cancelled'])
  })

  it('keeps confirming the slot while only business rows change', async () => {
    const { sql, slot } = world
    for (let index = 0; index < 5; index++) {
      await sql`insert into orders values (${`plain-${index}`}, 'new')`
    }
    const target = (await sql<{ lsn: string }[]>`select pg_current_wal_lsn()::text as lsn`)[0]!.lsn
    // Go-era settings: the default status interval (10 s) carries the position to PostgreSQL.
    await expect
      .poll(
        async () => {
          const [row] = await sql<{ lsn: string }[]>`
            select confirmed_flush_lsn::text as lsn from pg_replication_slots where slot_name = ${slot}`
          return parseLsn(row!.lsn) >= parseLsn(target)
        },
        { timeout: 40_000, interval: 500 },
      )
      .toBe(true)
  })
})
