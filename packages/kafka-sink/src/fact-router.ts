import { type EnvelopeHeader, factHeaders, readEnvelopeHeader } from '@factlib/core/wire'
import { formatLsn } from '@factlib/wal'
import type { OutgoingRecord } from './producer-client.js'
import type { SinkFact } from './sink-types.js'
import { TopicNames } from './topic-names.js'

/** Header names a dead-lettered record carries besides the fact's own headers (when known). */
export const DeadLetterHeaderName = {
  /** Why the fact could not go to its topic. */
  error: 'error',
  /** The topic it was meant for, when the envelope decoded far enough to say. */
  originalTopic: 'original_topic',
  /** The fact's LSN in text form, as on every fact (`LSN`, as the Go owlpost names it). */
  lsn: 'LSN',
  /** Present when the value had to be left out because the dead-letter topic refused it too. */
  valueOmitted: 'value_omitted',
  /** The original value's size in bytes, when the record carries less than all of it. */
  originalSize: 'original_size',
  /** SHA-256 (hex) of the original value, when the record does not carry it whole and it is known. */
  originalSha256: 'original_sha256',
  /** The original value's first bytes (hex), when the record does not carry it whole. */
  originalHead: 'original_head',
  /** The logical-message prefix the fact was emitted under. */
  prefix: 'prefix',
} as const

/** A fact on its way to the dead-letter topic: why, and where it was meant to go. */
export interface DeadLetter {
  readonly reason: string
  readonly originalTopic: string | undefined
}

/** Where a fact goes: its own topic, or the dead-letter topic and why. */
export type Route = { tag: 'topic'; record: OutgoingRecord; header: EnvelopeHeader } | DeadLetterRoute

export interface DeadLetterRoute extends DeadLetter {
  tag: 'dead-letter'
  record: OutgoingRecord
  header: EnvelopeHeader | undefined
}

/**
 * The one place that builds Kafka records from facts, dead-letter records included. Routes the
 * way the Go factlib does: topic `<prefix>.<aggregateType>`, key the aggregate id, value the
 * envelope bytes untouched, headers from the envelope and the LSN. Facts that cannot go to their
 * topic (the caller said so, the envelope does not decode, the topic name is illegal) go to the
 * prefix's dead-letter topic instead.
 */
export class FactRouter {
  readonly #deadLetterTopics = new Map<string, string>()
  readonly #deadLetterTopicFor: (prefix: string) => string
  readonly #topicNames: TopicNames

  constructor(deadLetterTopicFor: (prefix: string) => string, topicNames = new TopicNames()) {
    this.#deadLetterTopicFor = deadLetterTopicFor
    this.#topicNames = topicNames
  }

  route(fact: SinkFact): Route {
    let header: EnvelopeHeader
    try {
      header = readEnvelopeHeader(fact.value)
    } catch (error) {
      const reason = `envelope does not decode: ${error instanceof Error ? error.message : String(error)}`
      return this.deadLetter(fact, fact.deadLetterReason ?? reason, undefined, undefined)
    }
    const { topic, problem } = this.#topicNames.choose(fact.prefix, header.aggregateType)
    if (fact.deadLetterReason !== undefined) {
      return this.deadLetter(fact, fact.deadLetterReason, topic, header)
    }
    if (header.aggregateType === '') {
      return this.deadLetter(fact, 'envelope has no aggregate_type', undefined, header)
    }
    if (problem) {
      return this.deadLetter(fact, `invalid topic name '${topic}': it ${problem}`, topic, header)
    }
    return {
      tag: 'topic',
      header,
      record: {
        topic,
        key: Buffer.from(header.aggregateId, 'utf8'),
        value: asBuffer(fact.value),
        headers: factHeaders(header, formatLsn(fact.lsn)),
      },
    }
  }

  /** The fact's envelope header, or undefined when the envelope does not decode. */
  headerOf(fact: SinkFact): EnvelopeHeader | undefined {
    try {
      return readEnvelopeHeader(fact.value)
    } catch {
      return undefined
    }
  }

  /**
   * The dead-letter record of a fact: same key and value, the fact's headers where the envelope
   * decoded, plus why and where from. Records without a key get a fixed partition so that a retry
   * lands where the first attempt did (the idempotent producer's sequence numbers depend on it).
   */
  deadLetter(
    fact: SinkFact,
    reason: string,
    originalTopic: string | undefined,
    header: EnvelopeHeader | undefined,
  ): DeadLetterRoute {
    const lsn = formatLsn(fact.lsn)
    const headers: Record<string, string> = header ? factHeaders(header, lsn) : {}
    headers[DeadLetterHeaderName.lsn] = lsn
    headers[DeadLetterHeaderName.error] = reason
    if (originalTopic !== undefined) headers[DeadLetterHeaderName.originalTopic] = originalTopic
    const key = header ? Buffer.from(header.aggregateId, 'utf8') : null
    return {
      tag: 'dead-letter',
      reason,
      originalTopic,
      header,
      record: {
        topic: this.#deadLetterTopicOf(fact.prefix),
        key,
        value: asBuffer(fact.value),
        headers,
        ...(key === null ? { partition: 0 } : {}),
      },
    }
  }

  /** The same dead-letter record without its value, for a dead-letter topic that refuses the value too. */
  withoutValue(record: OutgoingRecord, why: string): OutgoingRecord {
    const size = record.value?.byteLength ?? 0
    return {
      ...record,
      value: null,
      headers: { ...record.headers, [DeadLetterHeaderName.valueOmitted]: `${size} bytes: ${why}` },
    }
  }

  #deadLetterTopicOf(prefix: string): string {
    let topic = this.#deadLetterTopics.get(prefix)
    if (topic === undefined) {
      topic = this.#deadLetterTopicFor(prefix)
      this.#deadLetterTopics.set(prefix, topic)
    }
    return topic
  }
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}
