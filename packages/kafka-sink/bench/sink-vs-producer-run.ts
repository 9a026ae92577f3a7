// Facts per second through the sink versus a bare kafkajs producer sending the same records with
// the same settings (idempotent, acks=-1, one request in flight, no compression, same batch
// size), one run each. Uses FACTLIB_TEST_KAFKA_BROKERS when set, else starts a local broker.
// Both run on the same kafkajs, the one owlpost runs: sink-vs-producer.ts has the sink load it
// first, with its corrections (see src/kafkajs/patches.ts). Bare and sink alternate for
// BENCH_ROUNDS rounds (default 3); the median ratio is reported.
import { createEnvelope, encodeEnvelope, factHeaders, readEnvelopeHeader, topicFor } from '@factlib/core'
import { startKafka, uniqueName } from '@factlib/testing'
import { formatLsn } from '@factlib/wal'
import kafkajs from 'kafkajs'
import { createKafkaSink, type SinkTransaction } from '../dist/index.js'
import { recordWireSize } from '../dist/record-size.js'

const factCount = Number(process.env.BENCH_FACTS ?? 100_000)
const rounds = Number(process.env.BENCH_ROUNDS ?? 3)
const factBytes = 200
const keys = 1_000
const factsPerTransaction = 10
const partitions = 6
const maxBatchBytes = 768 * 1024

const shared = process.env.FACTLIB_TEST_KAFKA_BROKERS
const kafka = shared ? undefined : await startKafka({ dedicated: true })
const brokers = shared ? shared.split(',') : kafka!.brokers

function envelopeOf(key: string): Uint8Array {
  const make = (payloadBytes: number) =>
    encodeEnvelope(
      createEnvelope({
        aggregateType: 'order',
        aggregateId: key,
        eventType: 'order.placed',
        payload: new Uint8Array(payloadBytes).fill(42),
        metadata: {},
      }),
    )
  const overhead = make(0).byteLength
  return make(Math.max(0, factBytes - overhead))
}

function workload(prefix: string, startLsn: bigint, count: number): SinkTransaction[] {
  const txs: SinkTransaction[] = []
  let lsn = startLsn
  for (let made = 0; made < count; ) {
    const facts = []
    for (let i = 0; i < factsPerTransaction && made < count; i++, made++) {
      lsn += 0x40n
      facts.push({ prefix, lsn, value: envelopeOf(`customer-${made % keys}`) })
    }
    lsn += 0x20n
    txs.push({ endLsn: lsn, facts })
  }
  return txs
}

const sinkPrefix = uniqueName('bench_sink')
const barePrefix = uniqueName('bench_bare')
const concurrentPrefix = uniqueName('bench_concurrent')
const admin = new kafkajs.Kafka({ brokers, logLevel: kafkajs.logLevel.NOTHING }).admin()
await admin.connect()
await admin.createTopics({
  waitForLeaders: true,
  topics: [sinkPrefix, barePrefix, concurrentPrefix].map((prefix) => ({
    topic: topicFor(prefix, 'order'),
    numPartitions: partitions,
  })),
})
await admin.disconnect()

// The sink first connects and warms up; this also applies its kafkajs corrections, process-wide,
// so the bare producer below runs with them too.
const sink = createKafkaSink({ brokers })
await sink.connect()
for (const tx of workload(sinkPrefix, 0x1000n, 2_000)) await sink.send(tx)
await sink.drain(60_000)

// The bare producer gets the same records, prepared beforehand: key, value, the same headers.
const bareRecords = workload(barePrefix, 0x10000000n, factCount).flatMap((tx) =>
  tx.facts.map((fact) => {
    const header = readEnvelopeHeader(fact.value)
    return {
      topic: topicFor(barePrefix, header.aggregateType),
      key: Buffer.from(header.aggregateId),
      value: Buffer.from(fact.value.buffer, fact.value.byteOffset, fact.value.byteLength),
      headers: factHeaders(header, formatLsn(fact.lsn)),
    }
  }),
)
const bareBatches: (typeof bareRecords)[] = []
let current: typeof bareRecords = []
let currentBytes = 0
for (const record of bareRecords) {
  const size = recordWireSize(record)
  if (current.length > 0 && currentBytes + size > maxBatchBytes) {
    bareBatches.push(current)
    current = []
    currentBytes = 0
  }
  current.push(record)
  currentBytes += size
}
if (current.length > 0) bareBatches.push(current)

const bare = new kafkajs.Kafka({ brokers, logLevel: kafkajs.logLevel.NOTHING }).producer({
  idempotent: true,
  maxInFlightRequests: 1,
  createPartitioner: kafkajs.Partitioners.DefaultPartitioner,
})
await bare.connect()
await bare.sendBatch({
  acks: -1,
  topicMessages: [{ topic: topicFor(barePrefix, 'order'), messages: bareBatches[0]!.slice(0, 100) }],
})

const bareSeconds: number[] = []
const sinkSeconds: number[] = []
let nextLsn = 0x10000000n
let started: number
for (let round = 0; round < rounds; round++) {
  started = performance.now()
  for (const batch of bareBatches) {
    await bare.sendBatch({
      acks: -1,
      timeout: 30_000,
      topicMessages: [{ topic: batch[0]!.topic, messages: batch }],
    })
  }
  bareSeconds.push((performance.now() - started) / 1000)

  const sinkTxs = workload(sinkPrefix, nextLsn, factCount)
  nextLsn = sinkTxs.at(-1)!.endLsn + 0x1000n
  started = performance.now()
  for (const tx of sinkTxs) await sink.send(tx)
  const drained = await sink.drain(300_000)
  sinkSeconds.push((performance.now() - started) / 1000)
  if (!drained || sink.deliveredLsn !== sinkTxs.at(-1)!.endLsn)
    throw new Error('the sink did not deliver everything')
}
await bare.disconnect()

// What one request in flight costs: the same records, four sendBatch calls at a time and up to
// five requests in flight per connection. Not safe for order on retry (a failed batch's sequence
// numbers are reused by the next one); kafkajs still serialises idempotent produce per broker.
const concurrent = new kafkajs.Kafka({ brokers, logLevel: kafkajs.logLevel.NOTHING }).producer({
  idempotent: true,
  maxInFlightRequests: 5,
  createPartitioner: kafkajs.Partitioners.DefaultPartitioner,
})
await concurrent.connect()
const concurrentTopic = topicFor(concurrentPrefix, 'order')
await concurrent.sendBatch({
  acks: -1,
  topicMessages: [{ topic: concurrentTopic, messages: bareBatches[0]!.slice(0, 100) }],
})
started = performance.now()
for (let i = 0; i < bareBatches.length; i += 4) {
  await Promise.all(
    bareBatches.slice(i, i + 4).map((batch) =>
      concurrent.sendBatch({
        acks: -1,
        timeout: 30_000,
        topicMessages: [{ topic: concurrentTopic, messages: batch }],
      }),
    ),
  )
}
const concurrentSeconds = (performance.now() - started) / 1000
await concurrent.disconnect()

await sink.close()
await kafka?.dispose()

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!
const ratios = bareSeconds.map((bare, round) => bare / sinkSeconds[round]!)
const rate = (seconds: number) => Math.round(factCount / seconds)
console.log(
  `facts: ${factCount} of ${factBytes} bytes, ${keys} keys, ${partitions} partitions, ${bareBatches.length} bare batches, ${rounds} rounds`,
)
for (const [round, ratio] of ratios.entries()) {
  console.log(
    `round ${round + 1}: bare kafkajs ${rate(bareSeconds[round]!)} facts/s, kafka sink ${rate(sinkSeconds[round]!)} facts/s, ratio ${ratio.toFixed(2)}`,
  )
}
console.log(
  `bare, 4 concurrent sends, 5 in flight: ${rate(concurrentSeconds)} facts/s (${concurrentSeconds.toFixed(2)} s, unsafe for order on retry)`,
)
console.log(`ratio sink/bare, median of ${rounds}: ${median(ratios).toFixed(2)} (target >= 0.8)`)
