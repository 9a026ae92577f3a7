import type { DeadLetter } from './fact-router.js'
import type { OutgoingRecord } from './producer-client.js'
import { recordBatchOverhead } from './record-size.js'

/**
 * Produce requests stay well under the broker's default message.max.bytes (1 MiB) per partition,
 * and under the request bound (TakeRules.requestBytes) when that is smaller.
 */
export const maxBatchBytes = 768 * 1024
export const maxBatchFacts = 10_000
/** Taken items are dropped from the array's head in chunks, not one shift() each. */
const compactAfter = 4096

/** What the queue needs to know of an item to batch it. */
export interface Batchable {
  readonly record: OutgoingRecord
  readonly wireSize: number
  readonly deadLetter: DeadLetter | undefined
}

export interface TakeRules<T extends Batchable> {
  /** A topic's max.message.bytes, when known: all of a topic's records in a request must fit it. */
  limitOf(topic: string): number | undefined
  /**
   * What the records of one request may take together (see RequestBound): a request over the
   * broker's socket.request.max.bytes is answered by dropping the connection.
   */
  requestBytes: number
  /** Whether a dead-letter record goes in a request of its own (halt mode halts on it). */
  deadLetterAlone: boolean
  /**
   * Looks at each item before it is batched, and may replace it (a record too large to send). What
   * it returns must fit a request alone (RecordFit sees to it): a first item is always taken.
   */
  inspect(item: T): T
}

/**
 * Records accepted and not yet sent, in arrival order, cut into produce requests: as many as fit
 * the request and topic limits, after lingering up to lingerMs from the oldest so that a trickle
 * of facts still makes requests of a useful size.
 */
export class BatchQueue<T extends Batchable> {
  readonly #lingerMs: number
  #items: T[] = []
  #head = 0
  /** performance.now() when the oldest item still queued arrived. */
  #oldestAt = 0

  constructor(lingerMs: number) {
    this.#lingerMs = lingerMs
  }

  get size(): number {
    return this.#items.length - this.#head
  }

  push(item: T, arrivedAt: number): void {
    if (this.size === 0) this.#oldestAt = arrivedAt
    this.#items.push(item)
  }

  /** How long the next batch still lingers: lingerMs from its oldest item, unless it is full. */
  lingerLeft(now: number): number {
    if (this.#lingerMs <= 0 || this.size === 0 || this.size >= maxBatchFacts) return 0
    return this.#oldestAt + this.#lingerMs - now
  }

  /** As many queued items as fit one produce request, in order. */
  take(rules: TakeRules<T>): T[] {
    const batch: T[] = []
    let bytes = 0
    const bytesPerTopic = new Map<string, number>()
    const requestBytes = Math.min(maxBatchBytes, rules.requestBytes)
    while (this.#head < this.#items.length && batch.length < maxBatchFacts) {
      const next = rules.inspect(this.#items[this.#head]!)
      this.#items[this.#head] = next
      const { topic } = next.record
      const topicBytes = bytesPerTopic.get(topic) ?? 0
      const alone = rules.deadLetterAlone && next.deadLetter !== undefined
      if (batch.length > 0) {
        if (bytes + next.wireSize > requestBytes || alone) break
        // Conservative: the request's records of one topic might all land in one partition.
        const limit = rules.limitOf(topic)
        if (limit !== undefined && topicBytes + next.wireSize > limit * 0.9 - recordBatchOverhead) break
      }
      batch.push(next)
      bytes += next.wireSize
      bytesPerTopic.set(topic, topicBytes + next.wireSize)
      this.#head += 1
      if (alone) break
    }
    // What is left over filled a request: it goes next, without lingering.
    this.#oldestAt = Number.NEGATIVE_INFINITY
    if (this.#head === this.#items.length) {
      this.#items = []
      this.#head = 0
    } else if (this.#head > compactAfter) {
      this.#items = this.#items.slice(this.#head)
      this.#head = 0
    }
    return batch
  }
}
