import { maxBatchBytes, maxBatchFacts } from './batch-queue.js'
import type { DeadLetter } from './fact-router.js'
import type { OutgoingRecord } from './producer-client.js'
import { recordBatchOverhead } from './record-size.js'
import type { SinkFact, SinkTransaction } from './sink-types.js'

/** A fact accepted by the exactly-once sink and not yet produced. */
export interface QueuedFact {
  readonly fact: SinkFact
  readonly tx: SinkTransaction
  readonly record: OutgoingRecord
  readonly wireSize: number
  readonly minimumSize: number
  readonly acceptedAt: number
  readonly deadLetter: DeadLetter | undefined
  /** Suspected of being refused by the broker: produced in a request of its own. */
  readonly alone: boolean
}

/** What the delivery loop takes in one go: facts for one request, and the last end passed. */
export interface Step {
  facts: QueuedFact[]
  end: bigint | undefined
  /** Facts of a later PostgreSQL transaction follow `end` in this step. */
  factsAfterEnd: boolean
  /** The transaction is due and this step ends at `end`: the commit follows it. */
  closes: boolean
  /** In halt mode, the dead-letter fact the sink must halt on; it stays queued. */
  haltOn: QueuedFact | undefined
}

/** How a step is cut, as BatchQueue's TakeRules. */
export interface StepRules {
  /** The transaction is due: stop right after the next end. */
  stopAtEnd: boolean
  /** Halt mode: a dead-letter fact stops the step before it. */
  halt: boolean
  /** What the records of one request may take together (see RequestBound). */
  requestBytes: number
  /** A topic's max.message.bytes, when known: all of a topic's records in a request must fit it. */
  limitOf(topic: string): number | undefined
  /** Looks at each fact before it is taken, and may replace it (RecordFit: a record too large to send). */
  inspect(fact: QueuedFact): QueuedFact
}

/** Taken items are dropped from the array's head in chunks, not one shift() each. */
const compactAfter = 4096

/**
 * The exactly-once sink's queue: facts and, after the facts of each whole PostgreSQL
 * transaction, its end LSN, the only places a Kafka transaction may commit.
 */
export class TransactionQueue {
  #items: (QueuedFact | { readonly end: bigint })[] = []
  #head = 0

  get empty(): boolean {
    return this.#head === this.#items.length
  }

  pushFact(fact: QueuedFact): void {
    this.#items.push(fact)
  }

  /** Marks the end of a whole PostgreSQL transaction. */
  pushEnd(end: bigint): void {
    this.#items.push({ end })
  }

  clear(): void {
    this.#items = []
    this.#head = 0
  }

  /**
   * Facts for one request, in order, each inspected first, within the request and topic limits.
   * With `stopAtEnd` (the transaction is due to commit) stops right after the next PostgreSQL
   * transaction's end, so that the commit is not put off by a busy stream. A suspect goes alone;
   * in halt mode a dead-letter fact stops the step before it.
   */
  takeStep(rules: StepRules): Step {
    const { stopAtEnd, halt } = rules
    const step: Step = { facts: [], end: undefined, factsAfterEnd: false, closes: false, haltOn: undefined }
    const requestBytes = Math.min(maxBatchBytes, rules.requestBytes)
    const bytesPerTopic = new Map<string, number>()
    let bytes = 0
    while (this.#head < this.#items.length) {
      let item = this.#items[this.#head]!
      if (!('end' in item)) {
        item = rules.inspect(item)
        this.#items[this.#head] = item
      }
      if ('end' in item) {
        step.end = item.end
        step.factsAfterEnd = false
        this.#head++
        if (stopAtEnd) {
          step.closes = true
          break
        }
        continue
      }
      const { topic } = item.record
      const topicBytes = bytesPerTopic.get(topic) ?? 0
      if (step.facts.length > 0) {
        if (step.facts.length >= maxBatchFacts || bytes + item.wireSize > requestBytes) break
        if (item.alone || step.facts.at(-1)!.alone) break
        // As in BatchQueue: the request's records of one topic might all land in one partition.
        const limit = rules.limitOf(topic)
        if (limit !== undefined && topicBytes + item.wireSize > limit * 0.9 - recordBatchOverhead) break
      }
      if (halt && item.deadLetter) {
        if (step.facts.length === 0 && step.end === undefined) step.haltOn = item
        break
      }
      step.facts.push(item)
      bytes += item.wireSize
      bytesPerTopic.set(topic, topicBytes + item.wireSize)
      if (step.end !== undefined) step.factsAfterEnd = true
      this.#head++
    }
    if (this.#head === this.#items.length) this.clear()
    else if (this.#head > compactAfter) {
      this.#items = this.#items.slice(this.#head)
      this.#head = 0
    }
    return step
  }
}
