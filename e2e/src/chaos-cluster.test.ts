import { describe, expect, it } from 'vitest'
import { clusterCiSchedule } from './chaos/cluster-schedules.js'
import { runChaos } from './chaos/run-chaos.js'

describe('chaos on a three-broker cluster: broker SIGKILLs and restarts among the usual faults', () => {
  it('loses, reorders and dead-letters nothing because of a broker fault', async () => {
    const progress: string[] = []
    const result = await runChaos({
      facts: 8_000,
      ratePerSecond: 400,
      schedule: clusterCiSchedule,
      cluster: true,
      catchUpTimeoutMs: 60_000,
      readTimeoutMs: 60_000,
      log: (line) => progress.push(line),
    }).catch((error: unknown) => {
      throw new Error(`cluster chaos run failed: ${String(error)}\n${progress.join('\n')}`, { cause: error })
    })
    const { verdict, faults } = result
    // The faults must really have happened, or the rest proves nothing.
    expect(faults.brokerKills).toBeGreaterThanOrEqual(3)
    expect(faults.brokerRestarts).toBeGreaterThan(0)
    expect(faults.kills).toBeGreaterThan(0)
    expect(faults.poisonInjected).toBeGreaterThan(0)
    expect(verdict.facts).toBe(8_000)
    expect(verdict.lost).toEqual([])
    expect(verdict.reordered).toEqual([])
    expect(verdict.uncommittedArrived).toEqual([])
    expect(verdict.poisonMissing).toEqual([])
    // Only poison may be dead-lettered: a broker fault must be retried, never given up.
    expect(verdict.unexpectedDeadLetters).toEqual([])
    expect(verdict.deadLettered).toBe(faults.poisonInjected)
    expect(result.problems, progress.join('\n')).toEqual([])
    expect(result.summary).toMatch(
      /^facts=8000 lost=0 reordered=0 duplicates=\d+ deadlettered=\d+ kills=\d+ brokerKills=\d+$/,
    )
    console.log(`${result.summary} producerResets=${result.producerResets}`)
  }, 300_000)
})
