// `pnpm --filter @factlib/consumer bench`: facts per second applied through consumeFacts with the
// postgres.js store (a transaction per fact: the mark and the insert), against a bare kafkajs
// consumer doing the same insert per fact without dedupe (eachMessage, autocommit statements),
// both reading the same records with the same partition concurrency. Rates run from the first
// row applied to the last (the group join is not counted). Bare and consumer alternate for
// BENCH_ROUNDS rounds (default 3) of BENCH_FACTS facts (default 20,000); the median ratio is
// reported. Uses FACTLIB_TEST_KAFKA_BROKERS / FACTLIB_TEST_DATABASE_URL when set, else starts
// local servers.
import { createEnvelope, encodeEnvelope, factHeaders, readEnvelopeHeader, topicFor } from '@factlib/core'
import { createDatabase, startKafka, startPostgres, uniqueName } from '@factlib/testing'
import { formatLsn } from '@factlib/wal'
import kafkajs from 'kafkajs'
import postgres from 'postgres'
import { consumeFacts, postgresJsStore } from '../dist/index.js'

const factCount = Number(process.env.BENCH_FACTS ?? 20_000)
const rounds = Number(process.env.BENCH_ROUNDS ?? 3)
const factBytes = 200
const keys = 1_000
const partitions = 6
const inFlight = 6

const kafkaService = await startKafka()
const database = await createDatabase(await startPostgres(), 'consumer_bench')
const sql = postgres(database.url, { max: 12, onnotice: () => {} })
const kafka = new kafkajs.Kafka({ brokers: kafkaService.brokers, logLevel: kafkajs.logLevel.NOTHING })
await sql`create table effects (aggregate_id text not null, event_id text not null, at timestamptz not null default clock_timestamp())`

const prefix = uniqueName('bench_consumer').replaceAll('_', '-')
const topic = topicFor(prefix, 'order')
const admin = kafka.admin()
await admin.connect()
await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: partitions }] })
await admin.disconnect()

// The records owlpost would write: 200-byte envelopes over 1,000 keys, owlpost's headers.
const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 })
await producer.connect()
const overhead = encodeEnvelope(
  createEnvelope({
    aggregateType: 'order',
    aggregateId: 'customer-0',
    eventType: 'order.placed',
    payload: new Uint8Array(),
  }),
).byteLength
for (let sent = 0; sent < factCount; ) {
  const messages = []
  for (let i = 0; i < 1_000 && sent < factCount; i++, sent++) {
    const value = encodeEnvelope(
      createEnvelope({
        aggregateType: 'order',
        aggregateId: `customer-${sent % keys}`,
        eventType: 'order.placed',
        payload: new Uint8Array(Math.max(0, factBytes - overhead)).fill(42),
      }),
    )
    const headers = factHeaders(readEnvelopeHeader(value), formatLsn(0x1000000n + BigInt(sent) * 0x40n))
    messages.push({ key: `customer-${sent % keys}`, value: Buffer.from(value), headers })
  }
  await producer.send({ topic, acks: -1, messages })
}
await producer.disconnect()

/** Facts per second from the first row applied to the last, once all `factCount` are there. */
async function appliedRate(): Promise<number> {
  const deadline = Date.now() + 600_000
  for (;;) {
    const [row] = await sql<{ n: number; seconds: number }[]>`
      select count(*)::int as n, extract(epoch from max(at) - min(at))::float8 as seconds from effects`
    if (row!.n >= factCount) return factCount / row!.seconds
    if (Date.now() > deadline) throw new Error(`only ${row!.n} of ${factCount} facts applied`)
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
}

async function bareRound(): Promise<number> {
  const consumer = kafka.consumer({ groupId: uniqueName('bench_bare') })
  await consumer.connect()
  await consumer.subscribe({ topic, fromBeginning: true })
  await consumer.run({
    partitionsConsumedConcurrently: inFlight,
    eachMessage: async ({ message }) => {
      const eventId = message.headers?.event_id?.toString() ?? ''
      await sql`insert into effects (aggregate_id, event_id) values (${message.key!.toString()}, ${eventId})`
    },
  })
  const rate = await appliedRate()
  await consumer.disconnect()
  return rate
}

async function consumerRound(): Promise<number> {
  const consumer = await consumeFacts({
    kafka,
    groupId: uniqueName('bench_consumer'),
    topics: [topic],
    deadLetterTopic: `${prefix}.dead-letter`,
    store: postgresJsStore(sql),
    maxInFlight: inFlight,
    tracing: false,
    handlers: (on) => [
      on.event('order.placed', async ({ envelope, tx }) => {
        await tx`insert into effects (aggregate_id, event_id) values (${envelope.aggregateId}, ${envelope.id})`
      }),
    ],
  })
  const rate = await appliedRate()
  await consumer.stop()
  return rate
}

const bareRates: number[] = []
const consumerRates: number[] = []
for (let round = 0; round < rounds; round++) {
  await sql`truncate effects`
  bareRates.push(await bareRound())
  await sql`truncate effects`
  consumerRates.push(await consumerRound())
}
await sql.end()

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!
const ratios = consumerRates.map((rate, round) => rate / bareRates[round]!)
console.log(
  `facts: ${factCount} of ${factBytes} bytes, ${keys} keys, ${partitions} partitions, ${inFlight} at once, ${rounds} rounds`,
)
for (const [round, ratio] of ratios.entries()) {
  console.log(
    `round ${round + 1}: bare kafkajs ${Math.round(bareRates[round]!)} facts/s, consumer with store ${Math.round(consumerRates[round]!)} facts/s, ratio ${ratio.toFixed(2)}`,
  )
}
console.log(`ratio consumer/bare, median of ${rounds}: ${median(ratios).toFixed(2)}`)
process.exit(0)
