/// <reference types="node" preserve="true" />
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
