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
 * Wraps promises so that `signal` interrupts whichever one is awaited at the moment, with one
 * abort listener for its whole life. Racing every event against one long-pending promise
 * instead would pile a reaction per event onto it and keep every event reachable (a leak);
 * adding and removing a listener per event costs more than the event's own work.
 */
export class Interrupter {
  private interrupt: ((error: Aborted) => void) | undefined

  constructor(private readonly signal: AbortSignal) {
    signal.addEventListener('abort', () => this.interrupt?.(new Aborted()), { once: true })
  }

  wrap<T>(promise: Promise<T>): Promise<T> {
    if (this.signal.aborted) {
      promise.catch(() => undefined)
      return Promise.reject(new Aborted())
    }
    return new Promise<T>((resolve, reject) => {
      this.interrupt = (error) => {
        promise.catch(() => undefined)
        reject(error)
      }
      promise.then(resolve, reject)
    })
  }
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
