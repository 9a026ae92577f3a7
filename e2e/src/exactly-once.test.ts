import { decodeEnvelope, topicFor } from '@factlib/core'
import { waitFor } from '@factlib/testing'
import { Kafka, logLevel } from 'kafkajs'
import { afterAll, describe, expect, it } from 'vitest'
import { type ReadRecord, readTopics } from './support/kafka-reader.js'
import { type OwlpostProcess, startOwlpost } from './support/owlpost-process.js'
import { createScenario, sequencesByAggregate, utf8 } from './support/scenario.js'

type World = Awaited<ReturnType<typeof createScenario>>

const exactlyOnce = { DELIVERY_GUARANTEE: 'exactly-once' }

/** Emits `count` transactions of one fact each on `aggregates` aggregates; returns the fact ids. */
async function emit(world: World, count: number, aggregates = 4, from = 0): Promise<string[]> {
  const ids: string[] = []
  for (let t = from; t < from + count; t++) {
    const aggregateId = `agg-${t % aggregates}`
    const fact = await world.sql.begin((tx) =>
      world.producer.emit(tx, {
        aggregateType: 'item',
        aggregateId,
        eventType: 'item.changed',
        payload: utf8(JSON.stringify({ sequence: Math.floor(t / aggregates) + 1 })),
      }),
    )
    ids.push(fact.id)
  }
  return ids
}

function ids(records: ReadRecord[]): string[] {
  return records.map((record) => record.headers.event_id!)
}

function duplicates(values: string[]): string[] {
  const seen = new Set<string>()
  const repeated: string[] = []
  for (const value of values) {
    if (seen.has(value)) repeated.push(value)
    seen.add(value)
  }
  return repeated
}

/** Reads the item topic until every id is there, with read_committed unless asked otherwise. */
function readAll(world: World, expected: string[], readUncommitted = false, timeoutMs = 60_000) {
  return readTopics(
    world.kafka.brokers,
    [topicFor(world.prefix, 'item')],
    (seen) => {
      const present = new Set(ids(seen))
      return expected.every((id) => present.has(id))
    },
    timeoutMs,
    readUncommitted,
  )
}

describe('exactly-once delivery (DELIVERY_GUARANTEE=exactly-once)', () => {
  const started: OwlpostProcess[] = []
  const worlds: World[] = []
  const owlpost = async (world: World, env: Record<string, string> = {}) => {
    const process = await startOwlpost({ ...world.owlpostEnv, ...exactlyOnce, ...env })
    started.push(process)
    return process
  }

  afterAll(async () => {
    for (const process of started) process.thaw()
    await Promise.all(started.map((process) => process.kill()))
    await Promise.all(worlds.map((world) => world.sql.end()))
  })

  it('keeps each committed fact once for read_committed across SIGKILLs, in per-aggregate order', async () => {
    const world = await createScenario('eos_kill')
    worlds.push(world)
    let relay = await owlpost(world)
    await relay.ready()
    const emitted: string[] = []
    let writing = true
    const writer = (async () => {
      for (let round = 0; round < 30; round++) emitted.push(...(await emit(world, 20, 5, round * 20)))
    })().finally(() => {
      writing = false
    })
    let kills = 0
    while (writing && kills < 3) {
      await new Promise((resolve) => setTimeout(resolve, 600))
      await relay.kill()
      kills++
      relay = await owlpost(world)
      await relay.ready()
    }
    await writer
    const records = await readAll(world, emitted)
    // A moment more, so a late duplicate would have time to show.
    await new Promise((resolve) => setTimeout(resolve, 1_000))
    const settled = await readAll(world, emitted)
    const seen = ids(settled)
    expect(kills).toBeGreaterThan(0)
    expect(emitted.filter((id) => !seen.includes(id))).toEqual([])
    expect(duplicates(seen)).toEqual([])
    expect(settled.length).toBeGreaterThanOrEqual(records.length)
    const facts = settled.map((record) => {
      const envelope = decodeEnvelope(record.value)
      // Key and headers as the at-least-once relay writes them (records wait prepared in both sinks).
      expect(record.key).toBe(envelope.aggregateId)
      expect(record.topic).toBe(topicFor(world.prefix, envelope.aggregateType))
      expect(record.headers).toMatchObject({ event_id: envelope.id, event_type: envelope.eventType })
      expect(record.headers.LSN).toMatch(/^[0-9A-F]+\/[0-9A-F]+$/)
      const { sequence } = JSON.parse(new TextDecoder().decode(envelope.payload)) as { sequence: number }
      return { id: envelope.id, aggregateId: envelope.aggregateId, sequence }
    })
    for (const [aggregateId, sequences] of sequencesByAggregate(facts)) {
      expect(sequences, `order of ${aggregateId}`).toEqual([...sequences].sort((a, b) => a - b))
    }
    // The checkpoint topic holds the slot's position as LSN text.
    const checkpoints = await readTopics(
      world.kafka.brokers,
      [`${world.prefix}.owlpost-checkpoints`],
      (seen) => seen.length > 0,
      10_000,
    )
    expect(checkpoints.at(-1)?.key).toBe(world.slot)
    expect(checkpoints.at(-1)?.value.toString('utf8')).toMatch(/^[0-9A-F]+\/[0-9A-F]+$/)
    // Made by owlpost so that compaction keeps what resume() reads back short.
    const admin = new Kafka({ brokers: world.kafka.brokers, logLevel: logLevel.NOTHING }).admin()
    await admin.connect()
    try {
      const { resources } = await admin.describeConfigs({
        includeSynonyms: false,
        resources: [
          {
            type: 2,
            name: `${world.prefix}.owlpost-checkpoints`,
            configNames: ['cleanup.policy', 'segment.ms', 'delete.retention.ms'],
          },
        ],
      })
      const config = Object.fromEntries(
        resources[0]!.configEntries.map((entry) => [entry.configName, entry.configValue]),
      )
      expect(config).toEqual({
        'cleanup.policy': 'compact',
        'segment.ms': '600000',
        'delete.retention.ms': '600000',
      })
    } finally {
      await admin.disconnect()
    }
  })

  it('hides an aborted transaction from read_committed, while read_uncommitted sees it', async () => {
    const world = await createScenario('eos_abort')
    worlds.push(world)
    // A transaction that stays open: its records are written but not committed. (The commit
    // interval must stay under the transaction timeout, which owlpost checks at start; 900 s is the
    // broker's default transaction.max.timeout.ms.)
    const first = await owlpost(world, {
      EOS_COMMIT_INTERVAL_MS: '600000',
      EOS_TRANSACTION_TIMEOUT_MS: '900000',
      EOS_MAX_FACTS: '100000',
    })
    await first.ready()
    const emitted = await emit(world, 10)
    const uncommitted = await readAll(world, emitted, true, 30_000)
    expect(new Set(ids(uncommitted))).toEqual(new Set(emitted))
    const committedSoFar = await readTopics(
      world.kafka.brokers,
      [topicFor(world.prefix, 'item')],
      () => false,
      3_000,
    )
    expect(committedSoFar).toEqual([])

    // A crash: the restarted relay's InitProducerId aborts the open transaction, then it resends.
    await first.kill()
    const second = await owlpost(world)
    await second.ready()
    const committed = ids(await readAll(world, emitted))
    expect(committed.sort()).toEqual([...emitted].sort())
    expect(duplicates(committed)).toEqual([])
    const everything = await readTopics(
      world.kafka.brokers,
      [topicFor(world.prefix, 'item')],
      (seen) => seen.length >= 2 * emitted.length,
      30_000,
      true,
    )
    // Each fact twice: once in the aborted transaction, once in the committed one.
    expect(ids(everything).sort()).toEqual([...emitted, ...emitted].sort())
  })

  it('fences an active that froze while a standby took over: it exits non-zero and writes nothing more', async () => {
    const world = await createScenario('eos_fence')
    worlds.push(world)
    const slow = { EOS_COMMIT_INTERVAL_MS: '3000' }
    const active = await owlpost(world, slow)
    await active.ready()
    const standby = await owlpost(world, slow)
    await waitFor(
      'the standby waiting',
      async () => (await standby.readiness()).body.role === 'standby',
      30_000,
    )

    const before = await emit(world, 5)
    await readAll(world, before, true, 30_000)
    // Produced in an open transaction; the active hangs before it commits.
    active.freeze()
    // What wal_sender_timeout would do to the hung walsender, without waiting a minute for it.
    await world.sql`select pg_terminate_backend(active_pid) from pg_replication_slots where slot_name = ${world.slot}`
    await standby.ready(60_000)
    const after = await emit(world, 5, 4, 5)
    const committed = ids(await readAll(world, [...before, ...after]))
    expect(duplicates(committed)).toEqual([])

    active.thaw()
    const code = await Promise.race([
      active.exited,
      new Promise<string>((resolve) => setTimeout(() => resolve('still running'), 30_000)),
    ])
    expect(code).not.toBe(0)
    expect(code).not.toBe('still running')
    expect(active.output.join('\n')).toMatch(/fenced/)
    const more = await emit(world, 5, 4, 10)
    const final = ids(await readAll(world, [...before, ...after, ...more]))
    expect(duplicates(final)).toEqual([])
    expect(new Set(final)).toEqual(new Set([...before, ...after, ...more]))
  })

  it('refuses to resume from a checkpoint beyond the server WAL (another database system), rather than skip', async () => {
    const world = await createScenario('eos_ahead')
    worlds.push(world)
    const kafka = new Kafka({ brokers: world.kafka.brokers, logLevel: logLevel.NOTHING })
    const producer = kafka.producer()
    await producer.connect()
    // As if this slot name had relayed far into the WAL of a system since rebuilt.
    await producer.send({
      topic: `${world.prefix}.owlpost-checkpoints`,
      messages: [{ key: world.slot, value: 'FF/0' }],
    })
    await producer.disconnect()
    // The missing-slot guard would refuse first; an operator who accepts the gap meets this one.
    const relay = await owlpost(world, { ALLOW_SLOT_RECREATE: 'true' })
    const code = await Promise.race([
      relay.exited,
      new Promise<string>((resolve) => setTimeout(() => resolve('still running'), 60_000)),
    ])
    expect(code).toBe(1)
    expect(relay.output.join('\n')).toMatch(/checkpoint for slot .* is FF\/0, beyond this server's WAL end/)
  })
})
