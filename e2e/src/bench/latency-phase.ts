import { formatLsn } from '@factlib/wal'
import type { OwlpostProcess } from '../support/owlpost-process.js'
import { readAppendTimes } from './append-times.js'
import type { BenchOptions } from './bench-options.js'
import { type BenchWorld, prefixes, publication } from './bench-world.js'
import { readCommitTimes } from './commit-times.js'
import type { Workload } from './fact-workload.js'
import { commitToAckBuckets, histogramWindow } from './owlpost-histogram.js'
import { waitUntilDelivered } from './owlpost-progress.js'
import { type LatencySummary, summarizeMs } from './percentiles.js'
import { measureCpu, treeCpuSeconds } from './process-probe.js'
import { eventLoopLag, type GcTotals, gcTotals, gcWindow } from './runtime-stalls.js'
import { startPacedWriters } from './writers.js'

const observerSlot = 'bench_observer'

export interface LatencyResult {
  rate: number
  seconds: number
  writerConnections: number
  /** Committed in the measured window. */
  committed: number
  /** The paced warm-up before the window: its facts' latencies, kept out of latencyMs. */
  warmup: { seconds: number; latencyMs: LatencySummary }
  failedCommits: number
  lateTransactions: number
  achievedRate: number
  /** Commit time in the WAL to Kafka append time, milliseconds. */
  latencyMs: LatencySummary
  unmatched: number
  cpuSeconds: Record<string, number>
  machineBusyShare: number
  /** owlpost's own owlpost_commit_to_ack_seconds over the window (commit time to its ack callback). */
  owlpostHistogram: ReturnType<typeof histogramWindow>
  /** owlpost's GC pauses and event-loop lag within the window, from its own metrics. */
  owlpostRuntime: { gc: GcTotals; eventLoopLagMs: { p50: number; p99: number; max: number } }
}

/**
 * Steady latency: paced writers (one fact per transaction) while owlpost relays. Each fact's
 * commit time comes from an observer slot read afterwards with @factlib/wal; its append time is
 * the Kafka record timestamp (LogAppendTime topics). Latency = append - commit, per fact id.
 */
export async function runLatencyPhase(
  world: BenchWorld,
  workload: Workload,
  owlpost: OwlpostProcess,
  owlpostPid: number,
  options: BenchOptions,
  log: (line: string) => void,
): Promise<LatencyResult> {
  await world.sql`select pg_create_logical_replication_slot(${observerSlot}, 'pgoutput')`
  const walsenderPid = await world.slotPid('bench_owlpost')
  log(
    `steady writers: ${options.rate} facts/s, ${options.warmupSeconds} s of warm-up, then ${options.seconds} s measured`,
  )
  const writers = startPacedWriters(world.sql, world.producers.steady, workload, {
    ratePerSecond: options.rate,
    concurrency: options.writerConnections,
    firstFact: 0,
  })
  // The first facts carry the start of the phase (writers connecting, owlpost meeting the
  // phase's topics): reported apart, not as steady state.
  await new Promise((resolve) => setTimeout(resolve, options.warmupSeconds * 1000))
  const measuredFromMs = Date.now()
  const cpu = measureCpu({ owlpost: owlpostPid, walsender: walsenderPid, kafka: world.kafkaPid })
  const metricsBefore = await owlpost.metrics()
  const histogramBefore = commitToAckBuckets(metricsBefore)
  const gcBefore = gcTotals(metricsBefore)
  const bench = process.cpuUsage()
  const postgresBefore = world.postmasterPid ? treeCpuSeconds(world.postmasterPid) : 0
  const committedBefore = writers.committed
  await new Promise((resolve) => setTimeout(resolve, options.seconds * 1000))
  const written = await writers.stop()
  const metricsAtEnd = await owlpost.metrics()
  const runtime = {
    gc: gcWindow(gcBefore, gcTotals(metricsAtEnd)),
    eventLoopLagMs: eventLoopLag(metricsAtEnd),
  }
  const endLsn = await world.lsnNow()
  await waitUntilDelivered(owlpost, prefixes.steady, written.committed, { timeoutMs: 300_000 })
  const used = cpu()
  const owlpostView = histogramWindow(histogramBefore, commitToAckBuckets(await owlpost.metrics()))
  const benchCpu = process.cpuUsage(bench)
  const postgresCpu = world.postmasterPid ? treeCpuSeconds(world.postmasterPid) - postgresBefore : 0
  log(`steady: ${written.committed} committed, ${written.failed} failed; reading commit and append times`)

  const commitTimes = await readCommitTimes({
    url: world.url,
    slot: observerSlot,
    publication,
    prefix: prefixes.steady,
    untilLsn: endLsn,
    timeoutMs: 180_000,
  })
  await world.sql`select pg_drop_replication_slot(${observerSlot})`
  const appendTimes = await readAppendTimes({
    brokers: world.kafka.brokers,
    topics: world.topics(prefixes.steady),
    expected: commitTimes.size,
    timeoutMs: 180_000,
  })
  const latencies: number[] = []
  const warmupLatencies: number[] = []
  let unmatched = 0
  for (const [id, committedAt] of commitTimes) {
    const appendedAt = appendTimes.get(id)
    if (appendedAt === undefined) unmatched++
    else if (committedAt < measuredFromMs) warmupLatencies.push(appendedAt - committedAt)
    else latencies.push(appendedAt - committedAt)
  }
  const latencyMs = summarizeMs(latencies)
  log(
    `latency p50 ${latencyMs.p50} ms, p99 ${latencyMs.p99} ms, max ${latencyMs.max} ms (to ${formatLsn(endLsn)})`,
  )
  return {
    rate: options.rate,
    seconds: options.seconds,
    writerConnections: options.writerConnections,
    committed: written.committed - committedBefore,
    warmup: { seconds: options.warmupSeconds, latencyMs: summarizeMs(warmupLatencies) },
    failedCommits: written.failed,
    lateTransactions: written.late,
    achievedRate: Math.round(written.committed / written.seconds),
    latencyMs,
    unmatched,
    cpuSeconds: {
      ...used.perProcess,
      'postgres (postmaster + live backends, incl. the walsender)': Number(postgresCpu.toFixed(2)),
      'bench process (writers)': Number(((benchCpu.user + benchCpu.system) / 1e6).toFixed(2)),
    },
    machineBusyShare: used.machineBusyShare,
    owlpostHistogram: owlpostView,
    owlpostRuntime: runtime,
  }
}
