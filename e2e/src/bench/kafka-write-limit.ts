import { createEnvelope, encodeEnvelope, factHeaders, readEnvelopeHeader, topicFor } from '@factlib/core'
import { formatLsn } from '@factlib/wal'
import { bareProducer } from './bare-producer.js'
import type { Workload } from './fact-workload.js'

/** What the sink puts in one produce request at most (packages/kafka-sink/src/batch-queue.ts). */
export const sinkBatchBytes = 768 * 1024
export const sinkBatchFacts = 10_000

/** One Kafka record exactly as owlpost would send it for a fact. */
export interface FactRecord {
  topic: string
  key: Buffer
  value: Buffer
  headers: Record<string, string>
}

/**
 * The records owlpost would send for the workload's first `count` facts: topic
 * `<prefix>.<aggregateType>`, key = aggregate id, envelope value, event_id/event_type/LSN headers,
 * with LSNs that grow like the WAL's. The limits that send owlpost's records all take them from here,
 * so they differ from each other only in the prefix.
 */
export function factRecords(prefix: string, workload: Workload, count: number): FactRecord[] {
  const records: FactRecord[] = []
  let lsn = 0x10_0000_0000n
  for (let n = 0; n < count; n++) {
    const value = encodeEnvelope(createEnvelope(workload.fact(n)))
    const header = readEnvelopeHeader(value)
    lsn += BigInt(value.byteLength + 64)
    records.push({
      topic: topicFor(prefix, header.aggregateType),
      key: Buffer.from(header.aggregateId),
      value: Buffer.from(value.buffer, value.byteOffset, value.byteLength),
      headers: factHeaders(header, formatLsn(lsn)),
    })
  }
  return records
}

/** The sink's estimate of a record's size on the wire, used to cut batches the same way. */
function wireSize(record: FactRecord): number {
  let size = 24 + record.key.byteLength + record.value.byteLength
  for (const [name, value] of Object.entries(record.headers)) size += 8 + name.length + value.length
  return size
}

export interface KafkaWriteResult {
  seconds: number
  batches: number
  recordsPerBatch: number
  /** CPU of this process while sending (the records were prepared before). */
  producerCpuSeconds: number
  /** The sending, in microseconds of the monotonic clock (a CPU profile's time base). */
  window: { fromMicros: number; toMicros: number }
}

/**
 * The Kafka write limit: a bare kafkajs producer configured as the sink's (idempotent, acks=-1,
 * one request in flight, no compression) sends the same records owlpost would ({@link factRecords}),
 * prepared beforehand, in batches cut by the sink's rule, one sendBatch after another.
 */
export async function sendWithBareKafkajs(options: {
  brokers: string[]
  prefix: string
  workload: Workload
  count: number
}): Promise<KafkaWriteResult> {
  const records = factRecords(options.prefix, options.workload, options.count)
  const batches: FactRecord[][] = []
  let current: FactRecord[] = []
  let currentBytes = 0
  for (const record of records) {
    const size = wireSize(record)
    if (current.length > 0 && (currentBytes + size > sinkBatchBytes || current.length >= sinkBatchFacts)) {
      batches.push(current)
      current = []
      currentBytes = 0
    }
    current.push(record)
    currentBytes += size
  }
  if (current.length > 0) batches.push(current)

  const producer = bareProducer(options.brokers, 'bench-bare')
  await producer.connect()
  try {
    // Producer id and metadata are fetched on the first send; owlpost had its own start-up too.
    const first = batches[0]![0]!
    await producer.sendBatch({ acks: -1, topicMessages: [{ topic: first.topic, messages: [first] }] })
    const started = performance.now()
    const fromMicros = Number(process.hrtime.bigint() / 1000n)
    const cpuBefore = process.cpuUsage()
    for (const batch of batches) {
      const byTopic = new Map<string, FactRecord[]>()
      for (const record of batch) {
        const list = byTopic.get(record.topic) ?? []
        list.push(record)
        byTopic.set(record.topic, list)
      }
      await producer.sendBatch({
        acks: -1,
        timeout: 30_000,
        topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
      })
    }
    const cpu = process.cpuUsage(cpuBefore)
    const toMicros = Number(process.hrtime.bigint() / 1000n)
    return {
      window: { fromMicros, toMicros },
      seconds: (performance.now() - started) / 1000,
      producerCpuSeconds: Number(((cpu.user + cpu.system) / 1e6).toFixed(2)),
      batches: batches.length,
      recordsPerBatch: Math.round(records.length / batches.length),
    }
  } finally {
    await producer.disconnect()
  }
}
