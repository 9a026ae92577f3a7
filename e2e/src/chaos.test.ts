import { describe, expect, it } from 'vitest'
import { runChaos } from './chaos/run-chaos.js'
import { ciExactlyOnceSchedule, ciSchedule } from './chaos/schedules.js'

describe('chaos: facts survive owlpost kills, Kafka outages, PostgreSQL restarts and poison', () => {
  it('delivers every committed fact in aggregate order, no rolled-back one, and dead-letters all poison', async () => {
    const progress: string[] = []
    const result = await runChaos({
      facts: 20_000,
      ratePerSecond: 500,
      schedule: ciSchedule,
      poisonMix: true,
      // A loss shows as a clear assertion failure well within the test timeout, not as a timeout.
      catchUpTimeoutMs: 60_000,
      readTimeoutMs: 60_000,
      log: (line) => progress.push(line),
    }).catch((error: unknown) => {
      throw new Error(`chaos run failed: ${String(error)}\n${progress.join('\n')}`, { cause: error })
    })
    const { verdict, faults } = result
    // The faults must really have happened, or the rest proves nothing.
    expect(faults.kills).toBeGreaterThan(0)
    expect(faults.kafkaStops).toBeGreaterThan(0)
    expect(faults.postgresRestartsFast + faults.postgresRestartsImmediate).toBeGreaterThan(0)
    expect(faults.poisonInjected).toBeGreaterThan(0)
    expect(faults.poisonOversized).toBe(1)
    expect(result.writers.rolledBackIds.size).toBeGreaterThan(0)
    expect(verdict.facts).toBe(20_000)
    expect(verdict.lost).toEqual([])
    expect(verdict.reordered).toEqual([])
    expect(verdict.rolledBackArrived).toEqual([])
    expect(verdict.uncommittedArrived).toEqual([])
    expect(verdict.poisonMissing).toEqual([])
    expect(verdict.unexpectedDeadLetters).toEqual([])
    expect(verdict.deadLettered).toBe(faults.poisonInjected)
    expect(result.problems, progress.join('\n')).toEqual([])
    expect(result.summary).toMatch(
      /^facts=20000 lost=0 reordered=0 duplicates=\d+ deadlettered=\d+ kills=\d+$/,
    )
  }, 240_000)

  it('with exactly-once, read_committed sees every committed fact exactly once, and a frozen active is fenced', async () => {
    const progress: string[] = []
    const result = await runChaos({
      facts: 10_000,
      ratePerSecond: 500,
      schedule: ciExactlyOnceSchedule,
      exactlyOnce: true,
      poisonMix: true,
      catchUpTimeoutMs: 60_000,
      readTimeoutMs: 60_000,
      log: (line) => progress.push(line),
    }).catch((error: unknown) => {
      throw new Error(`chaos run failed: ${String(error)}\n${progress.join('\n')}`, { cause: error })
    })
    const { verdict, faults } = result
    expect(faults.kills).toBeGreaterThan(0)
    expect(faults.kafkaStops).toBeGreaterThan(0)
    expect(faults.takeovers).toBeGreaterThan(0)
    expect(faults.fenced, progress.join('\n')).toBeGreaterThan(0)
    expect(verdict.facts).toBe(10_000)
    expect(verdict.duplicates, progress.join('\n')).toBe(0)
    expect(verdict.lost).toEqual([])
    expect(verdict.reordered).toEqual([])
    expect(verdict.deadLettered).toBe(faults.poisonInjected)
    expect(faults.poisonOversized).toBe(1)
    expect(result.problems, progress.join('\n')).toEqual([])
    expect(result.summary).toMatch(
      /^facts=10000 lost=0 reordered=0 duplicates=0 deadlettered=\d+ kills=\d+ fenced=\d+$/,
    )
  }, 240_000)
})
