/// <reference types="node" preserve="true" />
import { backoffDelay, pause } from '@factlib/wal'
import { Aborted } from './abortable.js'
import type { FactTransaction } from './fact-transaction.js'
import type { DeliveredEvent, PlainHandler } from './handler.js'
import type { Logger } from './logger.js'

/** A plain function as a handler: a transaction is delivered once the function's promise resolves. */
export type FactFunction = (transaction: FactTransaction) => Promise<void> | void

/** What a function handler's failure does: stop the relay, or try the same transaction again. */
export type HandlerErrorPolicy = 'halt' | 'retry'

/** A function handler threw and the policy is 'halt'; the relay stops without confirming past it. */
export class HandlerFailedError extends Error {
  override readonly name = 'HandlerFailedError'
  constructor(
    readonly transaction: FactTransaction,
    cause: unknown,
  ) {
    super(
      `the handler failed on the transaction ending at ${transaction.endLsn.toString(16)} ` +
        `(${transaction.facts.length} facts): ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause },
    )
  }
}

/**
 * Wraps a function: one transaction at a time, delivered when it resolves. On failure it halts, or
 * retries the same transaction with capped backoff until it succeeds or the relay stops; a
 * transaction is never skipped.
 */
export class FunctionHandler implements PlainHandler {
  readonly kind = 'plain'
  #inFlight = 0
  readonly #listeners = new Set<(event: DeliveredEvent) => void>()

  constructor(
    private readonly handle: FactFunction,
    private readonly policy: HandlerErrorPolicy,
    private readonly stop: AbortSignal,
    private readonly logger: Logger,
    private readonly maxBackoffMs: number,
  ) {}

  get inFlight(): number {
    return this.#inFlight
  }

  events(listener: (event: DeliveredEvent) => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  async send(transaction: FactTransaction): Promise<void> {
    this.#inFlight = transaction.facts.length
    for (let attempt = 0; ; attempt++) {
      try {
        await this.handle(transaction)
        break
      } catch (error) {
        if (this.policy === 'halt') throw new HandlerFailedError(transaction, error)
        this.logger.warn(
          { err: error, endLsn: transaction.endLsn.toString(16), attempt },
          'handler failed; retrying the same transaction',
        )
        await pause(
          backoffDelay(attempt, { initialMs: 250, maxMs: this.maxBackoffMs, jitter: 0.5 }),
          this.stop,
        )
        if (this.stop.aborted) throw new Aborted()
      }
    }
    this.#inFlight = 0
    if (!transaction.complete) return
    const event: DeliveredEvent = { type: 'delivered', lsn: transaction.endLsn }
    for (const listener of this.#listeners) listener(event)
  }
}
