// Facts per second through the sink versus a bare kafkajs producer sending the same records with
// the same settings (idempotent, acks=-1, one request in flight, no compression, same batch
// size), one run each. Uses FACTLIB_TEST_KAFKA_BROKERS when set, else starts a local broker.
// The bare producer runs first, on stock kafkajs. kafkajs is loaded here before the sink, so the
// sink runs without its partition-grouping correction (owlpost has it, see kafkajs-patches.ts);
// its encoder corrections apply from its first client on, after the bare run.
import { createEnvelope, encodeEnvelope, factHeaders, readEnvelopeHeader, topicFor } from '@factlib/core'
import { startKafka, uniqueName } from '@factlib/testing'
import kafkajs from 'kafkajs'
import { recordWireSize } from '../dist/fact-routing.js'
import { createKafkaSink, type SinkTransaction } from '../dist/index.js'
import { lsnText } from '../dist/lsn-text.js'

const factCount = Number(process.env.BENCH_FACTS ?? 100_000)
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

// The sink first connects and warms up; this also applies its kafkajs request-queue timer fix,
// process-wide, so the bare producer below runs with it too.
const sink = createKafkaSink({ brokers })
await sink.connect()
for (const tx of workload(sinkPrefix, 0x1000n, 2_000)) await sink.send(tx)
await sink.drain(60_000)
const sinkTxs = workload(sinkPrefix, 0x10000000n, factCount)

// The bare producer gets the same records, prepared beforehand: key, value, the same headers.
const bareRecords = workload(barePrefix, 0x10000000n, factCount).flatMap((tx) =>
  tx.facts.map((fact) => {
    const header = readEnvelopeHeader(fact.value)
    return {
      topic: topicFor(barePrefix, header.aggregateType),
      key: Buffer.from(header.aggregateId),
      value: Buffer.from(fact.value.buffer, fact.value.byteOffset, fact.value.byteLength),
      headers: factHeaders(header, lsnText(fact.lsn)),
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

let started = performance.now()
for (const batch of bareBatches) {
  await bare.sendBatch({
    acks: -1,
    timeout: 30_000,
    topicMessages: [{ topic: batch[0]!.topic, messages: batch }],
  })
}
const bareSeconds = (performance.now() - started) / 1000
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

started = performance.now()
for (const tx of sinkTxs) await sink.send(tx)
const drained = await sink.drain(300_000)
const sinkSeconds = (performance.now() - started) / 1000
if (!drained || sink.deliveredLsn !== sinkTxs.at(-1)!.endLsn)
  throw new Error('the sink did not deliver everything')
await sink.close()
await kafka?.dispose()

const bareRate = factCount / bareSeconds
const sinkRate = factCount / sinkSeconds
console.log(
  `facts: ${factCount} of ${factBytes} bytes, ${keys} keys, ${partitions} partitions, ${bareBatches.length} bare batches`,
)
console.log(`bare kafkajs producer: ${Math.round(bareRate)} facts/s (${bareSeconds.toFixed(2)} s)`)
console.log(
  `bare, 4 concurrent sends, 5 in flight: ${Math.round(factCount / concurrentSeconds)} facts/s (${concurrentSeconds.toFixed(2)} s, unsafe for order on retry)`,
)
console.log(`kafka sink:            ${Math.round(sinkRate)} facts/s (${sinkSeconds.toFixed(2)} s)`)
console.log(`ratio sink/bare: ${(sinkRate / bareRate).toFixed(2)} (target >= 0.8)`)
