import { recordBatchOverhead } from './record-size.js'
import type { RequestBound } from './request-bound.js'
import type { CompressionName } from './sink-types.js'
import type { TopicCatalogue } from './topic-catalogue.js'

/** Kafka's default max.message.bytes: what a topic takes when the sink could not learn its own. */
export const defaultMaxMessageBytes = 1_048_588

/** How many bytes a record may take (as recordUpperBound counts), and the limit that says so. */
export interface RecordRoom {
  readonly bytes: number
  /** The limit in words, for the header that says why a value was cut. */
  readonly limit: string
}

/** The room of a dead-letter record when nothing is learned: the default topic limit. */
export const defaultDeadLetterRoom: RecordRoom = {
  bytes: defaultMaxMessageBytes - recordBatchOverhead,
  limit: `max.message.bytes (Kafka's default, ${defaultMaxMessageBytes})`,
}

/**
 * What the broker takes, as far as the sink knows it now: each topic's max.message.bytes (learned
 * by the TopicCatalogue) and the bound on a whole produce request (RequestBound). Both sinks ask it
 * before a record is sent; the FactRouter asks it how large a dead-letter record may be.
 */
export class RecordLimits {
  readonly #topics: TopicCatalogue
  readonly #bound: RequestBound
  readonly compressed: boolean

  constructor(topics: TopicCatalogue, bound: RequestBound, compression: CompressionName) {
    this.#topics = topics
    this.#bound = bound
    this.compressed = compression !== 'none'
  }

  /** Notes a topic a record is about to go to, so that its limit is learned. */
  meet(topic: string): void {
    this.#topics.meet(topic)
  }

  /** The topic's max.message.bytes, when learned. */
  limitOf(topic: string): number | undefined {
    return this.#topics.limitOf(topic)
  }

  /** The bound on a whole produce request. */
  get maxRequestBytes(): number {
    return this.#bound.maxRequestBytes
  }

  /** What the records of one produce request may take together (their estimated sizes summed). */
  get requestRecordBytes(): number {
    return this.#bound.recordBytes
  }

  /**
   * How large a record for the dead-letter topic may be: under the topic's max.message.bytes (the
   * default when not learned) and under what one request carries. A compressed batch of bytes that
   * do not compress comes out slightly larger than they are, so compression leaves some slack.
   */
  deadLetterRoom(topic: string): RecordRoom {
    const learned = this.#topics.limitOf(topic)
    const topicLimit = learned ?? defaultMaxMessageBytes
    const requestLimit = this.#bound.recordBytes
    const limit = Math.min(topicLimit, requestLimit)
    const slack = this.compressed ? 1024 + Math.ceil(limit / 256) : 0
    const words =
      requestLimit < topicLimit
        ? `maxRequestBytes (${this.#bound.maxRequestBytes}, less room for the request's own fields)`
        : learned === undefined
          ? defaultDeadLetterRoom.limit
          : `max.message.bytes (${learned}) of '${topic}'`
    return { bytes: Math.max(0, limit - recordBatchOverhead - slack), limit: words }
  }
}
