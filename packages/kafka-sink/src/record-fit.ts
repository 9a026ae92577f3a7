import { deadLetterTopicFor } from '@factlib/core/wire'
import { type DeadLetter, FactRouter } from './fact-router.js'
import type { Logger } from './logger.js'
import type { OutgoingRecord } from './producer-client.js'
import { RecordLimits } from './record-limits.js'
import { recordBatchOverhead, recordMinimumSize, recordUpperBound, recordWireSize } from './record-size.js'
import { RequestBound } from './request-bound.js'
import type { KafkaSinkOptions, SinkFact } from './sink-types.js'
import type { TopicCatalogue } from './topic-catalogue.js'

/** What both sinks build records with and check them against, wired together from the options. */
export interface RecordSizing {
  readonly router: FactRouter
  readonly fit: RecordFit
  /** Learned once connected (RequestBound.learn), before the first request. */
  readonly bound: RequestBound
}

export function recordSizing(
  options: KafkaSinkOptions,
  topics: TopicCatalogue,
  logger: Logger,
): RecordSizing {
  const bound = new RequestBound(options.maxRequestBytes, logger)
  const limits = new RecordLimits(topics, bound, options.compression ?? 'none')
  const router = new FactRouter(options.deadLetterTopic ?? deadLetterTopicFor, (topic) =>
    limits.deadLetterRoom(topic),
  )
  return { router, fit: new RecordFit(router, limits), bound }
}

/** What both sinks queue of a fact: enough to size its record and to dead-letter it. */
export interface Fittable {
  readonly fact: SinkFact
  /** As routed, or as the client prepared it (then only its topic and partition may be read). */
  readonly record: OutgoingRecord
  /** recordWireSize and recordMinimumSize of the record as routed, measured before any client prepared it. */
  readonly wireSize: number
  readonly minimumSize: number
  readonly deadLetter: DeadLetter | undefined
}

/**
 * The check both sinks make of every record just before it goes in a produce request, with the
 * limits known by then: a record that cannot be delivered is not sent, since the broker would
 * refuse it (which in the exactly-once sink aborts the whole transaction) or, when it is larger
 * than a request may be, drop the connection (which looks transient and would be retried forever).
 * - A record for its own topic larger than the topic's max.message.bytes (counting only its own
 *   bytes, so only without compression) or than a produce request carries goes to the
 *   dead-letter topic instead.
 * - A dead-letter record built before the dead-letter topic's limit was learned is built again,
 *   its value cut to what fits now.
 */
export class RecordFit {
  readonly #router: FactRouter
  readonly #limits: RecordLimits

  constructor(router: FactRouter, limits: RecordLimits) {
    this.#router = router
    this.#limits = limits
  }

  /** The item as it may be sent: itself, or its dead-letter form. */
  fit<T extends Fittable>(item: T): T {
    const { record, deadLetter } = item
    if (deadLetter) {
      const room = this.#limits.deadLetterRoom(record.topic)
      // Dead-letter records are never prepared: their fields are there to measure.
      if (recordUpperBound(record) <= room.bytes) return item
      return this.#deadLettered(item, deadLetter)
    }
    const reason = this.#tooLarge(item)
    return reason === undefined ? item : this.asDeadLetter(item, reason)
  }

  /** The dead-letter form of an item meant for its own topic. */
  asDeadLetter<T extends Fittable>(item: T, reason: string): T {
    return this.#deadLettered(item, { reason, originalTopic: item.record.topic })
  }

  #deadLettered<T extends Fittable>(item: T, deadLetter: DeadLetter): T {
    const { fact } = item
    const route = this.#router.deadLetter(
      fact,
      deadLetter.reason,
      deadLetter.originalTopic,
      this.#router.headerOf(fact),
    )
    // Its limit is learned before the next request, if it is not known yet.
    this.#limits.meet(route.record.topic)
    return {
      ...item,
      record: route.record,
      wireSize: recordWireSize(route.record),
      minimumSize: recordMinimumSize(route.record),
      deadLetter: { reason: deadLetter.reason, originalTopic: deadLetter.originalTopic },
    }
  }

  /** Why the record cannot go to its topic, or undefined when it may. */
  #tooLarge(item: Fittable): string | undefined {
    const { topic } = item.record
    const limit = this.#limits.limitOf(topic)
    if (limit !== undefined && !this.#limits.compressed) {
      const size = recordBatchOverhead + item.minimumSize
      if (size > limit) {
        return (
          `MESSAGE_TOO_LARGE: the record takes at least ${size} bytes, more than max.message.bytes ` +
          `(${limit}) of topic '${topic}'`
        )
      }
    }
    // Compressed or not, a record is handed to the client whole: bound it uncompressed.
    if (item.wireSize > this.#limits.requestRecordBytes) {
      return (
        `MESSAGE_TOO_LARGE: the record takes about ${item.wireSize} bytes, more than a produce request ` +
        `may carry (maxRequestBytes ${this.#limits.maxRequestBytes}, less room for the request's own fields)`
      )
    }
    return undefined
  }
}
