import type { ExactlyOnceOptions, SinkCheckpoint } from './sink-types.js'
import type { QueuedFact, Step } from './transaction-queue.js'

type Timing = Pick<
  Required<ExactlyOnceOptions>,
  'commitIntervalMs' | 'idleCheckpointMs' | 'maxFacts' | 'transactionTimeoutMs'
>

/**
 * The exactly-once sink's open Kafka transaction: what it holds, and where and when it may commit.
 * No I/O: the sink's delivery loop asks (`commitPoint`) and commits.
 *
 * It may commit at two kinds of places:
 * - after a whole PostgreSQL transaction's end, with nothing produced after it (`wholeEnd`): the
 *   usual place, once the commit interval passed or it holds `maxFacts`;
 * - split, after the last fact produced, when that fact's PostgreSQL transaction says which it is
 *   (its commit LSN): the checkpoint then lies inside that transaction (`insideCheckpoint`). Only
 *   once it has been open a third of transaction.timeout.ms, so that a PostgreSQL transaction too
 *   large for one Kafka transaction gets through in parts rather than being aborted by the
 *   coordinator at every attempt. A third leaves two thirds for the produce request already out
 *   when the split is decided, the checkpoint record and EndTxn, and for the coordinator's clock
 *   and ours not starting at quite the same moment; splitting earlier would only add commits.
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

  constructor(
    readonly openedAt: number,
    private readonly timing: Timing,
  ) {}

  /** Due to commit at its next whole end (`flush`: the sink is draining). */
  commitDue(now: number, flush: boolean): boolean {
    return flush || this.facts >= this.timing.maxFacts || now >= this.#commitAt()
  }

  /**
   * Where to commit now, if anywhere: at its whole end when due, else inside a PostgreSQL
   * transaction when open long enough. `committedEnd`: the end of the last committed checkpoint.
   */
  commitPoint(now: number, flush: boolean, committedEnd: bigint): SinkCheckpoint | undefined {
    const end = this.wholeEnd
    if (end !== undefined) return this.commitDue(now, flush) ? { endLsn: end } : undefined
    return now >= this.#splitAt() ? this.insideCheckpoint(committedEnd) : undefined
  }

  /** When `commitPoint` will answer if nothing more is produced; undefined: not before more is. */
  nextCommitAt(committedEnd: bigint): number | undefined {
    if (this.wholeEnd !== undefined) return this.#commitAt()
    return this.insideCheckpoint(committedEnd) ? this.#splitAt() : undefined
  }

  #commitAt(): number {
    return this.openedAt + (this.facts > 0 ? this.timing.commitIntervalMs : this.timing.idleCheckpointMs)
  }

  #splitAt(): number {
    return this.openedAt + this.timing.transactionTimeoutMs / 3
  }

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
