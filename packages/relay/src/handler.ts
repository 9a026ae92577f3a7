/// <reference types="node" preserve="true" />
import { backoffDelay, pause } from '@factlib/wal'
import { Aborted } from './abortable.js'
import type { FactTransaction } from './fact-transaction.js'
import type { HandlerCheckpoint } from './handler-checkpoint.js'
import type { Logger } from './logger.js'

/**
 * Where a relay hands facts. `send` resolves once the handler has taken the transaction (it may
 * pend to push back: reading stops meanwhile); `onDelivered` reports "delivered up to LSN",
 * cumulatively, in the order transactions were sent (see FactTransaction for what an LSN of a
 * part means); `inFlight` counts facts taken and not yet delivered. `@factlib/kafka-sink` is one.
 * A `send` that rejects stops the relay: a handler retries what it can retry itself.
 */
export interface FactHandler {
  send(transaction: FactTransaction): Promise<void>
  onDelivered(listener: (lsn: bigint) => void): () => void
  readonly inFlight: number
  /** Called once before the first send, retried with backoff until it resolves. */
  connect?(): Promise<void>
  /** Waits until nothing is in flight (true) or the timeout passes (false); used at shutdown. */
  drain?(timeoutMs: number): Promise<boolean>
  close?(): Promise<void>
  /**
   * A handler that keeps its own durable checkpoint (the exactly-once Kafka sink) has this. The
   * relay then confirms only what the handler reports delivered (idle WAL is handed to it as empty
   * transactions), and at the start of each replication session calls `resume()`: the handler
   * drops whatever it took and did not checkpoint, and returns its checkpoint: an end LSN, or a
   * HandlerCheckpoint that may also lie inside the next transaction. Transactions ending at or
   * before the end LSN are not handed again, nor the facts the checkpoint holds inside the next
   * one; everything after is. A rejection stops the relay. Such a handler must handle every prefix.
   */
  resume?(): Promise<bigint | HandlerCheckpoint>
  /**
   * A checkpointed handler lost what it took and did not checkpoint (its Kafka transaction was
   * aborted): the relay ends the replication session and starts another, which resumes. `fatal`:
   * the handler stopped for good (fenced by a newer relay, halted); the relay stops too.
   */
  onLost?(listener: (error: Error, fatal: boolean) => void): () => void
}

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
export class FunctionHandler implements FactHandler {
  #inFlight = 0
  readonly #listeners = new Set<(lsn: bigint) => void>()

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

  onDelivered(listener: (lsn: bigint) => void): () => void {
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
    if (transaction.complete) for (const listener of this.#listeners) listener(transaction.endLsn)
  }
}

export function isFactHandler(handler: FactHandler | FactFunction): handler is FactHandler {
  return typeof handler === 'object' && handler !== null && typeof handler.send === 'function'
}
