import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { owlpostCli, startOwlpost } from '../support/owlpost-process.js'
import { type BenchWorld, prefixes } from './bench-world.js'
import { type ProfileSummary, summarizeCpuProfile } from './cpu-profile.js'
import type { Workload } from './fact-workload.js'
import { waitUntilDelivered } from './owlpost-progress.js'
import { childPids, measureCpu } from './process-probe.js'
import { commitBacklog } from './writers.js'

export interface ProfiledDrainResult {
  facts: number
  seconds: number
  factsPerSecond: number
  cpuSeconds: Record<string, number>
  profile: ProfileSummary | undefined
}

const monotonicMicros = () => Number(process.hrtime.bigint() / 1000n)

/**
 * Where owlpost's time goes while draining: a second, smaller backlog drained by an owlpost run
 * under `node --cpu-prof` (slower than the measured run; only the shares matter). Samples from
 * /ready to the last acknowledgement count, so start-up does not blur the picture.
 */
export async function runProfiledDrain(
  world: BenchWorld,
  workload: Workload,
  env: Record<string, string>,
  options: { facts: number; perTransaction: number; writers: number },
  log: (line: string) => void,
): Promise<ProfiledDrainResult> {
  await commitBacklog(world.sql, world.producers.drain, workload, {
    count: options.facts,
    perTransaction: options.perTransaction,
    concurrency: options.writers,
  })
  const dir = mkdtempSync(join(tmpdir(), 'bench-cpu-prof-'))
  try {
    const owlpost = await startOwlpost({
      ...env,
      NODE_OPTIONS: `${env.NODE_OPTIONS ?? ''} --cpu-prof --cpu-prof-dir=${dir}`.trim(),
    })
    const pid = childPids(process.pid, owlpostCli)[0]
    let stopped = false
    try {
      await owlpost.ready(120_000)
      const from = monotonicMicros()
      const started = performance.now()
      const cpu = measureCpu({
        owlpost: pid,
        walsender: await world.slotPid('bench_owlpost'),
        kafka: world.kafkaPid,
      })
      const done = await waitUntilDelivered(owlpost, prefixes.drain, options.facts, { timeoutMs: 600_000 })
      const to = monotonicMicros()
      const used = cpu()
      await owlpost.stop()
      stopped = true
      const seconds = (done.at - started) / 1000
      log(`profiled drain: ${options.facts} facts in ${seconds.toFixed(2)} s under --cpu-prof`)
      return {
        facts: options.facts,
        seconds: Number(seconds.toFixed(2)),
        factsPerSecond: Math.round(options.facts / seconds),
        cpuSeconds: used.perProcess,
        profile: summarizeCpuProfile(dir, { fromMicros: from, toMicros: to }),
      }
    } finally {
      if (!stopped) await owlpost.stop()
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
