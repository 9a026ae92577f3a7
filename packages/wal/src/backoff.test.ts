import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { backoffDelay, defaultBackoff, pause } from './backoff.js'

describe('backoffDelay', () => {
  it('doubles from the initial delay, never exceeds the cap and never drops below 1 ms', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -5, max: 10_000 }),
        fc.double({ min: 0, max: 0.9999, noNaN: true }),
        (attempt, random) => {
          const delay = backoffDelay(attempt, defaultBackoff, () => random)
          expect(delay).toBeGreaterThanOrEqual(1)
          expect(delay).toBeLessThanOrEqual(defaultBackoff.maxMs)
          expect(Number.isInteger(delay)).toBe(true)
        },
      ),
    )
    const steady = { initialMs: 100, maxMs: 5_000, jitter: 0 }
    expect([0, 1, 2, 3, 6, 50].map((attempt) => backoffDelay(attempt, steady))).toEqual([
      100, 200, 400, 800, 5_000, 5_000,
    ])
  })
})

describe('pause', () => {
  it('ends early when the signal aborts', async () => {
    const stop = new AbortController()
    const started = Date.now()
    const sleeping = pause(60_000, stop.signal)
    stop.abort()
    await sleeping
    expect(Date.now() - started).toBeLessThan(1_000)
  })
})
