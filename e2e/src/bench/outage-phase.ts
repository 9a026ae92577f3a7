import { owlpostCli, startOwlpost } from '../support/owlpost-process.js'
import type { BenchOptions } from './bench-options.js'
import { type BenchWorld, prefixes } from './bench-world.js'
import type { Workload } from './fact-workload.js'
import { largestBreakdown, type MemoryBreakdown } from './memory-breakdown.js'
import { waitUntilDelivered } from './owlpost-progress.js'
import { childPids, memoryOf, sampleRss } from './process-probe.js'
import { startPacedWriters } from './writers.js'

export interface OutageResult {
  rate: number
  outageSeconds: number
  /** From stopping the broker until it answered again (includes its restart). */
  brokerAwaySeconds: number
  committedDuringOutage: number
  committedTotal: number
  failedCommits: number
  /** Largest VmRSS sampled (every 200 ms) while Kafka was away. */
  peakRssDuringOutageBytes: number
  /** owlpost's own process metrics (scraped every second) at the largest RSS they reported. */
  memoryAtPeak: MemoryBreakdown | undefined
  /** VmHWM at the end: the peak of this owlpost's whole life (outage, then catching up). */
  peakRssIncludingCatchUpBytes: number
  rssBeforeOutageBytes: number
  catchUpSeconds: number
}

/**
 * Memory under a Kafka outage: a fresh owlpost, writers at the steady rate, the dedicated broker
 * stopped for `outageSeconds` while they keep writing, then started again; owlpost must catch up.
 */
export async function runOutagePhase(
  world: BenchWorld,
  workload: Workload,
  env: Record<string, string>,
  options: BenchOptions,
  log: (line: string) => void,
): Promise<OutageResult> {
  const owlpost = await startOwlpost(env)
  try {
    const pid = childPids(process.pid, owlpostCli)[0]
    if (!pid) throw new Error('cannot find the owlpost child process')
    await owlpost.ready(120_000)
    const writers = startPacedWriters(world.sql, world.producers.outage, workload, {
      ratePerSecond: options.rate,
      concurrency: options.writerConnections,
      firstFact: 0,
    })
    await new Promise((resolve) => setTimeout(resolve, 3_000))
    const rssBefore = memoryOf(pid)?.rss ?? 0
    const committedBefore = writers.committed
    log(`stopping Kafka for ${options.outageSeconds} s with writers at ${options.rate} facts/s`)
    const stopped = performance.now()
    const rss = sampleRss(pid)
    const breakdown = largestBreakdown()
    await world.kafka.stop('fast')
    while (performance.now() - stopped < options.outageSeconds * 1000) {
      await owlpost.metrics().then(breakdown.offer, () => undefined)
      await new Promise((resolve) => setTimeout(resolve, 1_000))
    }
    const written = await writers.stop()
    const peakDuringOutage = rss.stop()
    log('starting Kafka again')
    await world.kafka.start()
    const back = performance.now()
    await waitUntilDelivered(owlpost, prefixes.outage, written.committed, { timeoutMs: 600_000 })
    const caughtUp = performance.now()
    const peak = memoryOf(pid)?.peak ?? 0
    log(
      `outage: peak RSS ${(peakDuringOutage / 2 ** 20).toFixed(1)} MiB; caught up in ${((caughtUp - back) / 1000).toFixed(1)} s`,
    )
    return {
      rate: options.rate,
      outageSeconds: options.outageSeconds,
      brokerAwaySeconds: Number(((back - stopped) / 1000).toFixed(1)),
      committedDuringOutage: written.committed - committedBefore,
      committedTotal: written.committed,
      failedCommits: written.failed,
      peakRssDuringOutageBytes: peakDuringOutage,
      memoryAtPeak: breakdown.value,
      peakRssIncludingCatchUpBytes: peak,
      rssBeforeOutageBytes: rssBefore,
      catchUpSeconds: Number(((caughtUp - back) / 1000).toFixed(1)),
    }
  } finally {
    await owlpost.stop()
  }
}
