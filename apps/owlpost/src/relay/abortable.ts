import { setTimeout as sleep } from 'node:timers/promises'

export class Aborted extends Error {
  override readonly name = 'Aborted'
}

/** Settles with `promise`, or rejects with Aborted as soon as `signal` fires. */
export function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    promise.catch(() => undefined)
    return Promise.reject(new Aborted())
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => {
      promise.catch(() => undefined)
      reject(new Aborted())
    }
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort)
        resolve(value)
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort)
        reject(error)
      },
    )
  })
}

/**
 * A promise that rejects with Aborted once `signal` fires, made once and raced many times: one
 * listener for a whole session instead of one per awaited event.
 */
export function abortion(signal: AbortSignal): Promise<never> {
  const aborted = new Promise<never>((_resolve, reject) => {
    if (signal.aborted) reject(new Aborted())
    else signal.addEventListener('abort', () => reject(new Aborted()), { once: true })
  })
  aborted.catch(() => undefined)
  return aborted
}

/** Sleeps, waking early (without throwing) when `signal` fires. */
export async function pause(ms: number, signal: AbortSignal): Promise<void> {
  await sleep(ms, undefined, { signal }).catch(() => undefined)
}

/** Capped exponential backoff with jitter, so a fleet of relays does not retry in step. */
export function backoffDelay(attempt: number, maxMs: number, baseMs = 250): number {
  const exponential = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 20))
  return Math.round(exponential / 2 + (Math.random() * exponential) / 2)
}
