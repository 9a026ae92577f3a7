/// <reference types="node" preserve="true" />
/** Why a replication session ended: the session loop acts on it. */
export type SessionEnd =
  /** The relay's signal aborted: shut down. */
  | { reason: 'stopped' }
  /** The replication stream broke, ended or brought what does not parse: reconnect with backoff. */
  | { reason: 'stream-failed'; error: unknown }
  /**
   * The checkpointed handler lost what it had not checkpointed: a new session resumes from its
   * checkpoint. `fatal`: it stopped for good, and so does the relay.
   */
  | { reason: 'lost'; error: Error; fatal: boolean }
  /** A handler refused a transaction or its checkpoint: the relay stops with `error`. */
  | { reason: 'halted'; error: unknown }

/** What `Session.wait` gives instead of a value once the session has ended. */
export const sessionEnded: unique symbol = Symbol('session ended')

/**
 * One replication session's ending. Open until the first reason to end arrives (the relay's
 * signal, the stream, a handler), then ended with that reason for good: later reasons are its
 * consequences (a send refused because the handler lost its transaction) and are dropped.
 *
 * `wait` lets that first reason interrupt whatever is awaited at the moment, with one abort
 * listener for the session's whole life. Racing every event against one long-pending promise
 * instead would pile a reaction per event onto it and keep every event reachable (a leak); adding
 * and removing a listener per event costs more than the event's own work.
 */
export class Session {
  #end: SessionEnd | undefined
  #interrupt: (() => void) | undefined
  readonly #signal: AbortSignal
  readonly #onAbort = () => this.end({ reason: 'stopped' })

  constructor(signal: AbortSignal) {
    this.#signal = signal
    if (signal.aborted) this.#end = { reason: 'stopped' }
    else signal.addEventListener('abort', this.#onAbort, { once: true })
  }

  /** Why the session ended; undefined while it is open. */
  get ended(): SessionEnd | undefined {
    return this.#end
  }

  /** Ends the session, unless it has ended already. */
  end(end: SessionEnd): void {
    if (this.#end) return
    this.#end = end
    this.#signal.removeEventListener('abort', this.#onAbort)
    this.#interrupt?.()
  }

  /** Settles with `promise`, or with `sessionEnded` as soon as the session ends. */
  wait<T>(promise: Promise<T>): Promise<T | typeof sessionEnded> {
    if (this.#end) {
      promise.catch(() => undefined)
      return Promise.resolve(sessionEnded)
    }
    return new Promise<T | typeof sessionEnded>((resolve, reject) => {
      this.#interrupt = () => {
        promise.catch(() => undefined)
        resolve(sessionEnded)
      }
      promise.then(resolve, reject)
    })
  }
}
