import { SinkHaltedError } from './errors.js'
import type { ProduceFailure } from './producer-client.js'
import type { QueuedFact } from './transaction-queue.js'

/**
 * What the exactly-once sink remembers of records Kafka refused, across the sessions that resend
 * them. A refused request aborts its transaction, and the broker does not say which record it
 * refused: each of its facts is then a suspect, produced in a request of its own when PostgreSQL
 * resends it; a fact refused alone is dead-lettered the next time (or, in halt mode, halts).
 */
export class RefusedRecords {
  readonly #suspects = new Set<bigint>()
  readonly #refused = new Map<bigint, string>()

  /** Whether the fact at this LSN goes in a request of its own. */
  isSuspect(lsn: bigint): boolean {
    return this.#suspects.has(lsn)
  }

  /** Why Kafka refused the fact at this LSN alone, if it did: it goes to the dead-letter topic. */
  refusalOf(lsn: bigint): string | undefined {
    return this.#refused.get(lsn)
  }

  /** The fact reached Kafka: no longer a suspect. */
  produced(lsn: bigint): void {
    this.#suspects.delete(lsn)
  }

  /**
   * Notes a refused request of these facts. Returns the error to halt with when the refusal
   * cannot be worked round: a dead-letter record refused, or any record in halt mode.
   */
  note(facts: readonly QueuedFact[], failure: ProduceFailure, halt: boolean): SinkHaltedError | undefined {
    if (facts.length > 1) {
      for (const queued of facts) this.#suspects.add(queued.fact.lsn)
      return undefined
    }
    const queued = facts[0]!
    this.#suspects.delete(queued.fact.lsn)
    if (queued.deadLetter || halt) {
      const reason = queued.deadLetter
        ? `even the dead-letter topic '${queued.record.topic}' refused it: ${failure.message}`
        : `Kafka refused the record: ${failure.message}`
      return new SinkHaltedError(
        reason,
        queued.fact.lsn,
        queued.deadLetter?.originalTopic ?? queued.record.topic,
      )
    }
    this.#refused.set(queued.fact.lsn, `Kafka refused the record: ${failure.message}`)
    return undefined
  }
}
