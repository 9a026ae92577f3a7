import type { SinkCheckpoint } from './sink-types.js'
import type { QueuedFact, Step } from './transaction-queue.js'

/**
 * The exactly-once sink's open Kafka transaction: what it holds and where it may commit. State
 * only; the sink's delivery loop decides when and does the I/O.
 *
 * It may commit at two kinds of places:
 * - after a whole PostgreSQL transaction's end, with nothing produced after it (`wholeEnd`): the
 *   usual place, once the commit interval or the fact count is reached;
 * - split, after the last fact produced, when that fact's PostgreSQL transaction says which it is
 *   (its commit LSN): the checkpoint then lies inside that transaction (`insideCheckpoint`). The
 *   sink does this only for a Kafka transaction open long enough to risk transaction.timeout.ms,
 *   so that a PostgreSQL transaction too large for one Kafka transaction gets through in parts
 *   rather than being aborted by the coordinator at every attempt.
 */
export class OpenKafkaTransaction {
  /** Facts produced in it. */
  facts = 0
  /** End LSN of the last whole PostgreSQL transaction it holds. */
  end: bigint | undefined
  /** The whole-transaction checkpoint already produced with its last facts (a closing step's). */
  checkpointWritten: bigint | undefined
  /** Nothing produced after `end` (or nothing at all). */
  #atBoundary = true
  /** The last fact produced after `end`: where a split puts the checkpoint. */
  #lastFact: QueuedFact | undefined

  constructor(readonly openedAt: number) {}

  /** `step` was produced (`closing`: with its checkpoint in the same request). */
  produced(step: Step, closing: boolean): void {
    this.facts += step.facts.length
    if (step.end !== undefined) this.end = step.end
    if (closing && step.facts.length > 0) this.checkpointWritten = step.end
    this.#atBoundary =
      step.end !== undefined ? !step.factsAfterEnd : step.facts.length === 0 && this.#atBoundary
    if (step.facts.length > 0) this.#lastFact = step.facts.at(-1)
  }

  /** The end it may commit at now with a whole-transaction checkpoint, if any. */
  get wholeEnd(): bigint | undefined {
    return this.#atBoundary ? this.end : undefined
  }

  /** Facts produced after the last whole end: only a split may commit it now. */
  get insideTransaction(): boolean {
    return !this.#atBoundary
  }

  /**
   * The checkpoint it may commit at now inside a PostgreSQL transaction, if any. Everything it
   * holds after `end` (or, with none, after the committed checkpoint's end) belongs to the
   * transaction of its last fact, or was emitted outside any transaction and streamed before it:
   * the relay hands whole transactions in order, and facts of one transaction are consecutive.
   */
  insideCheckpoint(committedEnd: bigint): SinkCheckpoint | undefined {
    const last = this.#lastFact
    if (this.#atBoundary || last?.tx.commitLsn === undefined) return undefined
    return {
      endLsn: this.end ?? committedEnd,
      inside: { commitLsn: last.tx.commitLsn, factLsn: last.fact.lsn },
    }
  }
}
