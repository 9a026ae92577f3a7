import { createHash } from 'node:crypto'
import { createEnvelope, deadLetterTopicFor, encodeEnvelope, topicFor } from '@factlib/core'
import { Kafka, logLevel } from 'kafkajs'
import { afterAll, describe, expect, it } from 'vitest'
import { memoryOf } from './bench/process-probe.js'
import { type OwlpostProcess, startOwlpost } from './support/owlpost-process.js'
import { type CollectedRecord, collectRecords, type RecordCollector } from './support/record-collector.js'
import { createScenario, utf8 } from './support/scenario.js'

type World = Awaited<ReturnType<typeof createScenario>>

const MiB = 1024 * 1024
/** The oversized row's content: 300 MiB in CI; FACTLIB_BAD_INPUT_HUGE_MIB=1000 for the 1 GB run. */
const hugeBytes = Number(process.env.FACTLIB_BAD_INPUT_HUGE_MIB ?? 300) * MiB
/** Kafka's default max.message.bytes, set on the test's topics so the row's size is exact. */
const topicMaxMessageBytes = 1_048_588
/** The budget for owlpost's peak RSS with the default MAX_MESSAGE_BYTES. */
const peakRssLimit = 150 * 1e6

/** What a row's dead letter must show; undefined for a row whose input is a good fact. */
type DeadLetterCheck = (record: CollectedRecord) => void

interface Row {
  name: string
  /** Emits the bad input; returns what its dead letter must show, or the good fact it is. */
  emit(world: World): Promise<{ deadLetter?: DeadLetterCheck; goodFact?: { key: string } }>
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex')

function envelopeBytes(fields: { aggregateId?: string; payload?: Uint8Array } = {}): Uint8Array {
  return encodeEnvelope(
    createEnvelope({
      aggregateType: 'good',
      aggregateId: fields.aggregateId ?? 'bad-row',
      eventType: 'good.happened',
      payload: fields.payload ?? utf8('{}'),
    }),
  )
}

/** A protobuf envelope whose aggregate_id (field 3) is not UTF-8: id, type, then 0xff 0xfe. */
function invalidUtf8Envelope(): Uint8Array {
  const id = utf8('0190b5f8-0000-7000-8000-00000000beef')
  return Uint8Array.from([0x0a, id.length, ...id, 0x12, 4, ...utf8('good'), 0x1a, 2, 0xff, 0xfe])
}

async function emitBytes(world: World, bytes: Uint8Array, transactional = true): Promise<void> {
  await world.sql`select pg_logical_emit_message(${transactional}, ${world.prefix}, ${Buffer.from(bytes)})`
}

/** Oversized content built inside PostgreSQL: the test never holds it either. */
async function emitJunk(world: World, bytes: number): Promise<void> {
  await world.sql.begin((tx) => [
    tx`select pg_logical_emit_message(true, ${world.prefix}, convert_to(repeat('x', ${bytes}), 'UTF8'))`,
  ])
}

function expectOmitted(bytes: number): DeadLetterCheck {
  // SHA-256 of `bytes` × 'x', computed here in pieces as owlpost does on the way past.
  const hash = createHash('sha256')
  const piece = Buffer.alloc(MiB, 'x')
  for (let left = bytes; left > 0; left -= MiB) hash.update(left >= MiB ? piece : piece.subarray(0, left))
  const digest = hash.digest('hex')
  return (record) => {
    expect(record.value.byteLength).toBe(0)
    expect(record.headers.error).toMatch(/^message too large/)
    expect(record.headers.original_size).toBe(String(bytes))
    expect(record.headers.original_sha256).toBe(digest)
    expect(record.headers.original_head).toBe(Buffer.alloc(64, 'x').toString('hex'))
  }
}

const rows: Row[] = [
  {
    name: `a message over the cap (${hugeBytes / MiB} MiB)`,
    async emit(world) {
      await emitJunk(world, hugeBytes)
      return { deadLetter: expectOmitted(hugeBytes) }
    },
  },
  {
    name: "a valid envelope just over the topic's max.message.bytes",
    async emit(world) {
      const bytes = envelopeBytes({ payload: new Uint8Array(topicMaxMessageBytes + 16).fill(7) })
      await world.sql.begin((tx) => [
        tx`select pg_logical_emit_message(true, ${world.prefix}, ${Buffer.from(bytes)})`,
      ])
      return {
        deadLetter: (record) => {
          expect(record.headers.error).toMatch(/MESSAGE_TOO_LARGE/)
          expect(record.headers.original_topic).toBe(topicFor(world.prefix, 'good'))
          expect(record.headers.original_size).toBe(String(bytes.byteLength))
          expect(record.headers.original_sha256).toBe(sha256(bytes))
          expect(record.value.byteLength).toBeLessThan(topicMaxMessageBytes)
          expect(Buffer.from(bytes).subarray(0, record.value.byteLength).equals(record.value)).toBe(true)
        },
      }
    },
  },
  {
    name: 'a junk message of 20 MB',
    async emit(world) {
      await emitJunk(world, 20 * MiB)
      return { deadLetter: expectOmitted(20 * MiB) }
    },
  },
  {
    name: 'an empty content',
    async emit(world) {
      await world.sql.begin((tx) => [tx`select pg_logical_emit_message(true, ${world.prefix}, ''::bytea)`])
      return {
        deadLetter: (record) => {
          expect(record.value.byteLength).toBe(0)
          expect(record.headers.error).toMatch(/aggregate_type/)
        },
      }
    },
  },
  {
    name: 'a truncated envelope',
    async emit(world) {
      const whole = envelopeBytes()
      const truncated = whole.subarray(0, whole.length - 5)
      await world.sql.begin((tx) => [
        tx`select pg_logical_emit_message(true, ${world.prefix}, ${Buffer.from(truncated)})`,
      ])
      return {
        deadLetter: (record) => {
          expect(record.headers.error).toMatch(/^envelope does not decode/)
          expect(record.value.equals(Buffer.from(truncated))).toBe(true)
        },
      }
    },
  },
  {
    name: 'a message under the prefix from a non-transactional emit',
    async emit(world) {
      const bytes = envelopeBytes()
      await emitBytes(world, bytes, false)
      return {
        deadLetter: (record) => {
          expect(record.headers.error).toMatch(/non-transactional/)
          expect(record.value.equals(Buffer.from(bytes))).toBe(true)
        },
      }
    },
  },
  {
    name: 'a string field with U+FEFF (a good fact, kept exactly)',
    async emit(world) {
      const key = '\uFEFFbom-1'
      await world.sql.begin((tx) =>
        world.producer.emit(tx, {
          aggregateType: 'good',
          aggregateId: key,
          eventType: 'bom',
          payload: utf8('{}'),
        }),
      )
      return { goodFact: { key } }
    },
  },
  {
    name: 'a string field with invalid UTF-8',
    async emit(world) {
      const bytes = invalidUtf8Envelope()
      await world.sql.begin((tx) => [
        tx`select pg_logical_emit_message(true, ${world.prefix}, ${Buffer.from(bytes)})`,
      ])
      return {
        deadLetter: (record) => {
          expect(record.headers.error).toMatch(/^envelope does not decode.*aggregate_id/)
          expect(record.value.equals(Buffer.from(bytes))).toBe(true)
        },
      }
    },
  },
]

/** Creates the fact and dead-letter topics with Kafka's default max.message.bytes, stated. */
async function createTopics(world: World): Promise<void> {
  const admin = new Kafka({ brokers: world.kafka.brokers, logLevel: logLevel.NOTHING }).admin()
  await admin.connect()
  try {
    const configEntries = [{ name: 'max.message.bytes', value: String(topicMaxMessageBytes) }]
    await admin.createTopics({
      topics: [topicFor(world.prefix, 'good'), deadLetterTopicFor(world.prefix)].map((topic) => ({
        topic,
        numPartitions: 3,
        configEntries,
      })),
    })
  } finally {
    await admin.disconnect()
  }
}

async function emitGood(world: World, aggregateId: string, sequence: number): Promise<string> {
  const fact = await world.sql.begin((tx) =>
    world.producer.emit(tx, {
      aggregateType: 'good',
      aggregateId,
      eventType: 'good.happened',
      payload: utf8(JSON.stringify({ sequence })),
    }),
  )
  return fact.id
}

async function slotConfirmedAtLeast(world: World, lsn: string): Promise<boolean> {
  const [row] = await world.sql<{ past: boolean }[]>`
    select confirmed_flush_lsn >= ${lsn}::pg_lsn as past from pg_replication_slots where slot_name = ${world.slot}`
  return row?.past === true
}

describe.each(['at-least-once', 'exactly-once'])('bad input between good facts (%s)', (guarantee) => {
  let owlpost: OwlpostProcess | undefined
  let collector: RecordCollector | undefined
  let world: World | undefined

  afterAll(async () => {
    await collector?.stop()
    await owlpost?.stop()
    await world?.sql.end()
  })

  it('each row is dead-lettered or kept exactly; the good facts after it arrive in order, the slot moves past it, owlpost stays up within its memory', async () => {
    world = await createScenario(guarantee === 'exactly-once' ? 'bad_eos' : 'bad_alo')
    await createTopics(world)
    owlpost = await startOwlpost({ ...world.owlpostEnv, DELIVERY_GUARANTEE: guarantee })
    await owlpost.ready()
    const factTopic = topicFor(world.prefix, 'good')
    const deadLetters = deadLetterTopicFor(world.prefix)
    collector = await collectRecords(world.kafka.brokers, [factTopic, deadLetters])
    const timings: string[] = []
    /** Dead letters already matched to a row: each row's arrives before the next row starts. */
    const checked = new Set<CollectedRecord>()
    for (const [index, row] of rows.entries()) {
      const aggregate = `row-${index}`
      const before = await emitGood(world, aggregate, 1)
      const expectation = await row.emit(world)
      const committedAt = Date.now()
      const lsn = (await world.sql<{ lsn: string }[]>`select pg_current_wal_lsn()::text as lsn`)[0]!.lsn
      const after = await emitGood(world, aggregate, 2)
      const next = await collector.waitForRecord(
        `the good fact after '${row.name}'`,
        (record) => record.headers.event_id === after,
        180_000,
      )
      timings.push(
        `${row.name}: next good fact in Kafka ${next.arrivedAt - committedAt} ms after the bad one committed`,
      )
      const first = collector.records.find((record) => record.headers.event_id === before)
      expect(first, `the good fact before '${row.name}'`).toBeDefined()
      expect([first!.partition, BigInt(first!.offset) < BigInt(next.offset)]).toEqual([next.partition, true])
      if (expectation.deadLetter) {
        const letter = await collector.waitForRecord(
          `the dead letter of '${row.name}'`,
          (record) => record.topic === deadLetters && !checked.has(record),
        )
        checked.add(letter)
        expectation.deadLetter(letter)
      }
      if (expectation.goodFact) {
        const key = expectation.goodFact.key
        const record = await collector.waitForRecord(
          `the fact keyed ${JSON.stringify(key)}`,
          (r) => r.key === key,
        )
        expect(Buffer.from(record.key!, 'utf8').subarray(0, 3).toString('hex')).toBe('efbbbf')
      }
      await expect
        .poll(() => slotConfirmedAtLeast(world!, lsn), { timeout: 30_000, interval: 200 })
        .toBe(true)
      expect((await owlpost.readiness()).body.role, `owlpost after '${row.name}'`).toBe('active')
    }
    const peak = memoryOf(owlpost.pid)!.peak
    timings.push(`owlpost peak RSS ${(peak / MiB).toFixed(1)} MiB (VmHWM)`)
    console.info(`bad input (${guarantee}):\n  ${timings.join('\n  ')}`)
    expect(collector.records.filter((record) => record.topic === deadLetters)).toHaveLength(
      rows.filter((row) => row.name !== 'a string field with U+FEFF (a good fact, kept exactly)').length,
    )
    expect(peak).toBeLessThan(peakRssLimit)
  }, 600_000)
})
