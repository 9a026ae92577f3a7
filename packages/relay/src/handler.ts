import type { FactTransaction } from './fact-transaction.js'
import type { HandlerCheckpoint } from './handler-checkpoint.js'

/**
 * A handler reports everything handed to it up to `lsn` delivered: cumulatively, in the order
 * transactions were sent (see FactTransaction for what the LSN of a part means).
 */
export interface DeliveredEvent {
  type: 'delivered'
  lsn: bigint
}

/**
 * A checkpointed handler lost what it took and did not checkpoint (its Kafka transaction was
 * aborted): the relay ends the replication session and starts another, which resumes. `fatal`:
 * the handler stopped for good (fenced by a newer relay, halted); the relay stops too.
 */
export interface LostEvent {
  type: 'lost'
  error: Error
  fatal: boolean
}

/** What a handler tells the relay, as it happens. */
export type HandlerEvent = DeliveredEvent | LostEvent

/** What every handler has, whatever its kind. */
interface HandlerCommon {
  /**
   * Resolves once the handler has taken the transaction (it may pend to push back: reading stops
   * meanwhile). A rejection stops the relay: a handler retries what it can retry itself.
   */
  send(transaction: FactTransaction): Promise<void>
  /** Facts taken and not yet delivered. */
  readonly inFlight: number
  /** Called once before the first send, retried with backoff until it resolves. */
  connect?(): Promise<void>
  /** Waits until nothing is in flight (true) or the timeout passes (false); used at shutdown. */
  drain?(timeoutMs: number): Promise<boolean>
  close?(): Promise<void>
}

/**
 * A handler whose deliveries are the whole story (a function, `subscribeFacts`, the at-least-once
 * Kafka sink). The relay confirms what it reports delivered and, while nothing is in flight
 * anywhere, idle WAL on its own. Any number of plain handlers may share a relay, one per prefix.
 */
export interface PlainHandler extends HandlerCommon {
  readonly kind: 'plain'
  /** Subscribes to its reports; returns a function that unsubscribes. */
  events(listener: (event: DeliveredEvent) => void): () => void
}

/**
 * A handler that keeps its own durable checkpoint (the exactly-once Kafka sink). The relay then
 * confirms only what the handler reports delivered (idle WAL is handed to it as empty
 * transactions), and at the start of each replication session calls `resume()`: the handler
 * drops whatever it took and did not checkpoint, and returns its checkpoint, which may lie inside
 * the next transaction. Transactions ending at or before its end LSN are not handed again, nor the
 * facts it holds inside the next one; everything after is. A rejection stops the relay. It may
 * also report a loss (`LostEvent`). Such a handler must handle every prefix.
 */
export interface CheckpointedHandler extends HandlerCommon {
  readonly kind: 'checkpointed'
  /** Subscribes to its reports and losses; returns a function that unsubscribes. */
  events(listener: (event: HandlerEvent) => void): () => void
  resume(): Promise<HandlerCheckpoint>
}

/** Where a relay hands facts: one of the two kinds, told apart by `kind`. */
export type FactHandler = PlainHandler | CheckpointedHandler
