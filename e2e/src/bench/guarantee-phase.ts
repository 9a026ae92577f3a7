import { createProducer } from '@factlib/producer'
import kafkajs from 'kafkajs'
import { owlpostCli, startOwlpost } from '../support/owlpost-process.js'
import type { BenchOptions } from './bench-options.js'
import { type BenchWorld, publication } from './bench-world.js'
import type { Workload } from './fact-workload.js'
import { deliveredFor } from './owlpost-progress.js'
import { type LatencySummary, summarizeMs } from './percentiles.js'
import { childPids, memoryOf } from './process-probe.js'
import { startPacedWriters } from './writers.js'

type Guarantee = 'at-least-once' | 'exactly-once'

export interface GuaranteeRow {
  guarantee: Guarantee
  drainFactsPerSecond: number
  /** Facts over the seconds from /ready until owlpost counted the last one acknowledged (with exactly-once: committed). */
  drainSeconds: number
  /** From spawn to /ready: with exactly-once it includes registering the transactional id and reading the checkpoint. */
  startupSeconds: number
  peakRssBytes: number
  /** Commit returned to the writer, to the fact read by a read_committed consumer. */
  latencyMs: LatencySummary
  unmatched: number
  /** Exactly-once: Kafka transactions committed and aborted over the whole phase (aborts resend). */
  transactions: { committed: number; aborted: number }
}

export interface GuaranteeComparison {
  facts: number
  rate: number
  seconds: number
  commitIntervalMs: number
  rows: GuaranteeRow[]
  /** Exactly-once drain over at-least-once drain, same run. */
  drainRatio: number
  /** The exactly-once p99 target: EOS_COMMIT_INTERVAL_MS + the at-least-once p99 of this run. */
  latencyTargetMs: number
}

const commitIntervalMs = 100

/**
 * At-least-once beside exactly-once, measured the same way in the same run. Each guarantee has
 * its own slot and prefixes; the backlog's transactions carry facts of both, so the two owlposts
 * decode the very same WAL. Drain: from /ready until owlpost counts every fact acknowledged (for
 * exactly-once: in a committed Kafka transaction); start-up is reported apart. Latency: from the
 * writer's commit returning to a read_committed consumer receiving the fact, which is what a
 * consumer sees.
 */
export async function runGuaranteePhase(
  world: BenchWorld,
  workload: Workload,
  options: BenchOptions,
  log: (line: string) => void,
): Promise<GuaranteeComparison> {
  const guarantees: Guarantee[] = ['at-least-once', 'exactly-once']
  const names = (guarantee: Guarantee) => {
    const short = guarantee === 'exactly-once' ? 'eos' : 'alo'
    return { slot: `bench_${short}`, drain: `bench-${short}-drain`, steady: `bench-${short}-steady` }
  }
  await createTopics(
    world,
    guarantees.flatMap((g) => [...world.topics(names(g).drain), ...world.topics(names(g).steady)]),
    options.partitions,
  )
  for (const guarantee of guarantees) {
    await world.sql`select pg_create_logical_replication_slot(${names(guarantee).slot}, 'pgoutput')`
  }
  const facts = Math.min(options.facts, 100_000)
  const half = Math.max(1, Math.floor(options.perTransaction / 2))
  log(
    `guarantees: committing ${facts} facts for each of ${guarantees.join(' and ')}, ${half} of each per transaction`,
  )
  const producers = guarantees.map((g) => createProducer({ prefix: names(g).drain, traceContext: false }))
  for (let first = 0; first < facts; first += half) {
    const batch = Array.from({ length: Math.min(half, facts - first) }, (_, i) => workload.fact(first + i))
    await world.sql.begin(async (tx) => {
      for (const producer of producers) await producer.emitMany(tx, batch)
    })
  }

  const rows: GuaranteeRow[] = []
  const seconds = Math.min(options.seconds, 30)
  for (const guarantee of guarantees) {
    const { slot, drain, steady } = names(guarantee)
    const spawned = performance.now()
    const owlpost = await startOwlpost({
      MASTER_DATABASE_URL: world.url,
      KAFKA_BROKERS: world.kafka.brokers.join(','),
      WAL_PREFIX: `${drain},${steady}`,
      REPLICATION_SLOT_NAME: slot,
      PUBLICATION_NAME: publication,
      SRC_SERVICE_NAME: 'bench',
      DELIVERY_GUARANTEE: guarantee,
      EOS_COMMIT_INTERVAL_MS: String(commitIntervalMs),
      ...(options.owlpostNodeOptions ? { NODE_OPTIONS: options.owlpostNodeOptions } : {}),
      ...options.owlpostEnv,
    })
    try {
      const pid = childPids(process.pid, owlpostCli).at(-1)
      await owlpost.ready(120_000)
      const ready = performance.now()
      // Acknowledged by Kafka (at-least-once), or committed in a Kafka transaction (exactly-once),
      // as owlpost counts them; the slot position would add the wait for an idle checkpoint.
      const done = guarantee === 'exactly-once' ? committedFacts : deliveredFacts
      for (;;) {
        const text = await owlpost.metrics().catch(() => '')
        if (done(text, drain) >= facts) break
        if (performance.now() - ready > 600_000)
          throw new Error(`${guarantee} drain did not finish in 10 minutes`)
        await new Promise((resolve) => setTimeout(resolve, 20))
      }
      const drainSeconds = (performance.now() - ready) / 1000
      const startupSeconds = (ready - spawned) / 1000
      log(
        `guarantees: ${guarantee} drained ${facts} facts in ${drainSeconds.toFixed(2)} s from /ready ` +
          `(${startupSeconds.toFixed(2)} s from spawn to /ready)`,
      )

      log(
        `guarantees: ${guarantee} steady ${options.rate} facts/s for ${seconds} s, read with read_committed`,
      )
      const latency = await steadyLatency(world, workload, steady, options, seconds)
      const peak = pid ? (memoryOf(pid)?.peak ?? 0) : 0
      const metrics = await owlpost.metrics().catch(() => '')
      rows.push({
        guarantee,
        drainFactsPerSecond: Math.round(facts / drainSeconds),
        drainSeconds: Number(drainSeconds.toFixed(2)),
        startupSeconds: Number(startupSeconds.toFixed(2)),
        peakRssBytes: peak,
        latencyMs: latency.summary,
        unmatched: latency.unmatched,
        transactions: {
          committed: transactionsEnded(metrics, 'committed'),
          aborted: transactionsEnded(metrics, 'aborted'),
        },
      })
      log(
        `guarantees: ${guarantee} p99 ${latency.summary.p99} ms, peak RSS ${(peak / 2 ** 20).toFixed(1)} MiB`,
      )
    } finally {
      await owlpost.stop()
    }
  }
  const [atLeastOnce, exactlyOnce] = rows as [GuaranteeRow, GuaranteeRow]
  return {
    facts,
    rate: options.rate,
    seconds,
    commitIntervalMs,
    rows,
    drainRatio: Number((exactlyOnce.drainFactsPerSecond / atLeastOnce.drainFactsPerSecond).toFixed(3)),
    latencyTargetMs: Number((commitIntervalMs + atLeastOnce.latencyMs.p99).toFixed(1)),
  }
}

async function createTopics(world: BenchWorld, topics: string[], partitions: number): Promise<void> {
  const admin = new kafkajs.Kafka({
    brokers: world.kafka.brokers,
    logLevel: kafkajs.logLevel.NOTHING,
  }).admin()
  await admin.connect()
  try {
    await admin.createTopics({
      waitForLeaders: true,
      topics: topics.map((topic) => ({ topic, numPartitions: partitions, replicationFactor: 1 })),
    })
  } finally {
    await admin.disconnect()
  }
}

/** Paced writers on `prefix` while a read_committed consumer notes when each fact shows up. */
async function steadyLatency(
  world: BenchWorld,
  workload: Workload,
  prefix: string,
  options: BenchOptions,
  seconds: number,
): Promise<{ summary: LatencySummary; unmatched: number }> {
  const received = new Map<string, number>()
  const consumer = new kafkajs.Kafka({
    brokers: world.kafka.brokers,
    logLevel: kafkajs.logLevel.NOTHING,
    clientId: 'bench-read-committed',
  }).consumer({ groupId: `bench-${prefix}-${Date.now()}`, readUncommitted: false, maxWaitTimeInMs: 20 })
  await consumer.connect()
  await consumer.subscribe({ topics: world.topics(prefix), fromBeginning: true })
  // Writing starts once the consumer is in its group, so joining does not count as latency.
  const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()))
  await consumer.run({
    autoCommit: false,
    eachBatch: async ({ batch }) => {
      const at = Date.now()
      for (const message of batch.messages) {
        const id = message.headers?.event_id?.toString()
        if (id && !received.has(id)) received.set(id, at)
      }
    },
  })
  await joined
  const committedAt = new Map<string, number>()
  const producer = createProducer({ prefix, traceContext: false })
  const writers = startPacedWriters(world.sql, producer, workload, {
    ratePerSecond: options.rate,
    concurrency: options.writerConnections,
    firstFact: 0,
    durationSeconds: seconds,
    onCommitted: (id, at) => committedAt.set(id, at),
  })
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000))
  await writers.stop()
  const deadline = Date.now() + 30_000
  while (Date.now() < deadline && [...committedAt.keys()].some((id) => !received.has(id))) {
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  await consumer.disconnect()
  const latencies: number[] = []
  let unmatched = 0
  for (const [id, at] of committedAt) {
    const seen = received.get(id)
    if (seen === undefined) unmatched++
    else latencies.push(Math.max(0, seen - at))
  }
  return { summary: summarizeMs(latencies), unmatched }
}

const deliveredFacts = (metrics: string, prefix: string) => deliveredFor(metrics, prefix)

/** Facts in committed Kafka transactions (owlpost_kafka_transaction_facts_sum); one prefix per owlpost here. */
function committedFacts(metrics: string): number {
  const match = /^owlpost_kafka_transaction_facts_sum\s+([\d.e+]+)/m.exec(metrics)
  return match ? Number(match[1]) : 0
}

function transactionsEnded(metrics: string, outcome: 'committed' | 'aborted'): number {
  const match = new RegExp(
    `^owlpost_kafka_transactions_total\\{outcome="${outcome}"\\}\\s+([\\d.e+]+)`,
    'm',
  ).exec(metrics)
  return match ? Number(match[1]) : 0
}
