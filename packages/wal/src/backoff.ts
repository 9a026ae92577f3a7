/// <reference types="node" preserve="true" />
// One retry timing for every package: the relay reconnecting to PostgreSQL, the Kafka sinks
// retrying produce requests.

export interface BackoffSettings {
  initialMs: number
  maxMs: number
  /** Fraction of each delay drawn at random, so a fleet of relays does not retry in lockstep. */
  jitter: number
}

export const defaultBackoff: BackoffSettings = { initialMs: 100, maxMs: 5_000, jitter: 0.2 }

/**
 * Delay before retry number `attempt` (0-based): doubles from `initialMs` up to `maxMs`. Never
 * below 1 ms, because Node 24 warns (TimeoutNegativeWarning) about negative timer delays.
 */
export function backoffDelay(attempt: number, settings = defaultBackoff, random = Math.random): number {
  const exponential = settings.initialMs * 2 ** Math.min(Math.max(attempt, 0), 30)
  const capped = Math.min(exponential, settings.maxMs)
  const jittered = capped * (1 - settings.jitter + 2 * settings.jitter * random())
  return Math.max(1, Math.round(Math.min(jittered, settings.maxMs)))
}

/** Sleeps `ms`, or less if `signal` aborts; never rejects. */
export function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve()
    const done = () => {
      clearTimeout(timer)
      signal.removeEventListener('abort', done)
      resolve()
    }
    const timer = setTimeout(done, Math.max(1, ms))
    signal.addEventListener('abort', done, { once: true })
  })
}
