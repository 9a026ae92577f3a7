import { topicFor } from '@factlib/core'
import type { Producer } from '@factlib/producer'
import { ReplicationConnection } from '@factlib/wal'
import { bareProducer } from './bare-producer.js'
import type { BenchWorld } from './bench-world.js'
import { commitTimeMillis } from './commit-times.js'
import { aggregateTypes, type Workload } from './fact-workload.js'
import { type LatencySummary, summarizeMs } from './percentiles.js'
import { startPacedWriters } from './writers.js'

/**
 * The PostgreSQL half alone: the same paced writers, owlpost not running, and a live
 * @factlib/wal stream on a temporary slot in this process; latency = the moment a fact's message
 * arrived here minus its transaction's commit time in the WAL.
 */
export async function walDeliveryLatency(
  world: BenchWorld,
  producer: Producer,
  workload: Workload,
  options: { rate: number; seconds: number; writerConnections: number; publication: string },
): Promise<LatencySummary> {
  const connection = await ReplicationConnection.connect({
    connectionString: world.url,
    applicationName: 'bench-wal-probe',
  })
  const latencies: number[] = []
  try {
    const slot = `bench_wal_probe_${process.pid}`
    await connection.createReplicationSlot(slot, { temporary: true })
    const stream = await connection.startReplication({
      slot,
      publicationNames: [options.publication],
      protoVersion: 1,
      messages: true,
    })
    let commitMillis = 0
    let untilLsn = -1n
    const reading = (async () => {
      for await (const event of stream) {
        if (event.tag === 'keepalive') {
          if (untilLsn >= 0n && event.walEnd >= untilLsn) break
          continue
        }
        const message = event.message
        if (message.tag === 'begin') {
          commitMillis = commitTimeMillis(message.commitTime)
        } else if (message.tag === 'message' && message.prefix === producer.prefix) {
          latencies.push(performance.timeOrigin + performance.now() - commitMillis)
        } else if (message.tag === 'commit') {
          stream.acknowledge(message.endLsn)
          if (untilLsn >= 0n && message.endLsn >= untilLsn) break
        }
      }
    })()
    const writers = startPacedWriters(world.sql, producer, workload, {
      ratePerSecond: options.rate,
      concurrency: options.writerConnections,
      firstFact: 0,
    })
    await new Promise((resolve) => setTimeout(resolve, options.seconds * 1000))
    await writers.stop()
    untilLsn = await world.lsnNow()
    // A commit past that point, so the stream shows it has passed the end without waiting for a keepalive.
    await world.sql`select pg_logical_emit_message(true, 'bench-end-marker', 'end')`
    const timeout = setTimeout(() => void stream.close().catch(() => undefined), 60_000)
    await reading
    clearTimeout(timeout)
    await stream.close().catch(() => undefined)
  } finally {
    await connection.close().catch(() => undefined)
  }
  return summarizeMs(latencies)
}

/**
 * The Kafka half alone: a bare kafkajs producer with the sink's settings (idempotent, acks=-1,
 * one request in flight) fed records at the same paced rate; whatever came due while a request
 * was in flight goes in the next sendBatch. Latency = ack minus the moment the record was due.
 */
export async function kafkaAckLatency(
  world: BenchWorld,
  prefix: string,
  workload: Workload,
  options: { rate: number; seconds: number },
): Promise<LatencySummary> {
  const producer = bareProducer(world.kafka.brokers, 'bench-kafka-probe')
  await producer.connect()
  const latencies: number[] = []
  try {
    const value = Buffer.alloc(workload.envelopeBytes, 0x61)
    await producer.send({
      topic: topicFor(prefix, aggregateTypes[0]),
      acks: -1,
      messages: [{ key: 'warm', value }],
    })
    const started = performance.now()
    let sent = 0
    let waiting: { topic: string; key: string; dueAt: number; eventType: string }[] = []
    let running = true
    // Records due while a request is in flight wait and go together in the next sendBatch: the
    // sink's one-request-in-flight batching, without the WAL in front of it.
    const sender = (async () => {
      while (running || waiting.length > 0) {
        if (waiting.length === 0) {
          await new Promise((resolve) => setTimeout(resolve, 1))
          continue
        }
        const batch = waiting
        waiting = []
        const byTopic = new Map<string, { key: string; value: Buffer; headers: Record<string, string> }[]>()
        for (const record of batch) {
          const list = byTopic.get(record.topic) ?? []
          list.push({ key: record.key, value, headers: { event_type: record.eventType } })
          byTopic.set(record.topic, list)
        }
        await producer.sendBatch({
          acks: -1,
          topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
        })
        const ackedAt = performance.now()
        for (const record of batch) latencies.push(ackedAt - record.dueAt)
      }
    })()
    while (performance.now() - started < options.seconds * 1000) {
      const due = Math.floor(((performance.now() - started) / 1000) * options.rate)
      while (sent < due) {
        const fact = workload.fact(sent)
        waiting.push({
          topic: topicFor(prefix, fact.aggregateType),
          key: fact.aggregateId,
          eventType: fact.eventType,
          dueAt: started + (sent / options.rate) * 1000,
        })
        sent++
      }
      await new Promise((resolve) => setTimeout(resolve, 1))
    }
    running = false
    await sender
  } finally {
    await producer.disconnect()
  }
  return summarizeMs(latencies)
}
