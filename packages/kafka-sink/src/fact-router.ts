import { createHash } from 'node:crypto'
import { type EnvelopeHeader, factHeaders, readEnvelopeHeader } from '@factlib/core/wire'
import { formatLsn } from '@factlib/wal'
import type { OutgoingRecord } from './producer-client.js'
import { defaultDeadLetterRoom, type RecordRoom } from './record-limits.js'
import { recordUpperBound } from './record-size.js'
import type { OmittedValue, SinkFact } from './sink-types.js'
import { TopicNames } from './topic-names.js'

/** Header names a dead-lettered record carries besides the fact's own headers (when known). */
export const DeadLetterHeaderName = {
  /** Why the fact could not go to its topic. */
  error: 'error',
  /** The topic it was meant for, when the envelope decoded far enough to say. */
  originalTopic: 'original_topic',
  /** The fact's LSN in text form, as on every fact (`LSN`, as the Go owlpost names it). */
  lsn: 'LSN',
  /**
   * Present when the record carries less than the whole value: `<n> bytes: <why>`, or
   * `<n> of <size> bytes: <why>` when it carries the first part; n is what was left out.
   */
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

/** How many first bytes of a value the original_head header carries (in hex). */
const headBytes = 64

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
 * prefix's dead-letter topic instead, in a record that fits what that topic takes.
 */
export class FactRouter {
  readonly #deadLetterTopics = new Map<string, string>()
  readonly #deadLetterTopicFor: (prefix: string) => string
  readonly #deadLetterRoom: (topic: string) => RecordRoom
  readonly #topicNames: TopicNames

  constructor(
    deadLetterTopicFor: (prefix: string) => string,
    /** How large a record for this dead-letter topic may be, as far as is known now. */
    deadLetterRoom: (topic: string) => RecordRoom = () => defaultDeadLetterRoom,
    topicNames = new TopicNames(),
  ) {
    this.#deadLetterTopicFor = deadLetterTopicFor
    this.#deadLetterRoom = deadLetterRoom
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
   * decoded, plus why, where from and the prefix. Records without a key get a fixed partition so
   * that a retry lands where the first attempt did (the idempotent producer's sequence numbers
   * depend on it). A value too large for the dead-letter topic is cut to what fits (a dead letter
   * that cannot be delivered would hold up every fact after it); a value never held (`omitted`)
   * goes empty. Either way the original_* headers describe the whole value.
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
    headers[DeadLetterHeaderName.prefix] = fact.prefix
    const key = header ? Buffer.from(header.aggregateId, 'utf8') : null
    const topic = this.#deadLetterTopicOf(fact.prefix)
    const whole: OutgoingRecord = {
      topic,
      key,
      value: asBuffer(fact.value),
      headers,
      ...(key === null ? { partition: 0 } : {}),
    }
    const record = fact.omitted
      ? withOmittedValue(whole, fact.omitted)
      : fitted(whole, this.#deadLetterRoom(topic))
    return { tag: 'dead-letter', reason, originalTopic, header, record }
  }

  /**
   * The same dead-letter record without its value, for a dead-letter topic that refuses the value
   * too: the last resort, after the record was already sized to fit.
   */
  withoutValue(record: OutgoingRecord, why: string): OutgoingRecord {
    const value = record.value ?? Buffer.alloc(0)
    const headers = { ...record.headers }
    // A value cut before already says what the whole was; else say it of the value left out now.
    if (headers[DeadLetterHeaderName.originalSize] === undefined) describeOriginal(headers, value)
    headers[DeadLetterHeaderName.valueOmitted] = `${headers[DeadLetterHeaderName.originalSize]} bytes: ${why}`
    return { ...record, value: null, headers }
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

/** A dead-letter record of a fact whose value was never held: empty, and what is known of it. */
function withOmittedValue(record: OutgoingRecord, omitted: OmittedValue): OutgoingRecord {
  const headers = { ...record.headers }
  headers[DeadLetterHeaderName.originalSize] = String(omitted.byteLength)
  headers[DeadLetterHeaderName.originalSha256] = omitted.sha256
  headers[DeadLetterHeaderName.originalHead] = Buffer.from(omitted.head.subarray(0, headBytes)).toString(
    'hex',
  )
  headers[DeadLetterHeaderName.valueOmitted] =
    `${omitted.byteLength} bytes: the relay did not hold the value, larger than it reads`
  return { ...record, value: Buffer.alloc(0), headers }
}

/**
 * The record as it is when it fits the room, else with its value cut to the first bytes that do
 * (none, when even its headers take the room) and headers saying what the whole value was.
 */
function fitted(record: OutgoingRecord, room: RecordRoom): OutgoingRecord {
  if (recordUpperBound(record) <= room.bytes) return record
  const value = record.value ?? Buffer.alloc(0)
  const size = value.byteLength
  const headers = { ...record.headers }
  describeOriginal(headers, value)
  const why = (leftOut: number, kept: number) =>
    `${leftOut} of ${size} bytes: the value is cut to its first ${kept} bytes to fit ${room.limit}`
  // The header text with the widest numbers it can have, to measure what the value may keep.
  headers[DeadLetterHeaderName.valueOmitted] = why(size, size)
  const fixed = recordUpperBound({ ...record, value: null, headers })
  const kept = Math.max(0, Math.min(size, room.bytes - fixed))
  headers[DeadLetterHeaderName.valueOmitted] = why(size - kept, kept)
  return { ...record, value: value.subarray(0, kept), headers }
}

/** original_size, original_sha256 and original_head of a value the record will not carry whole. */
function describeOriginal(headers: Record<string, string>, value: Buffer): void {
  headers[DeadLetterHeaderName.originalSize] = String(value.byteLength)
  headers[DeadLetterHeaderName.originalSha256] = createHash('sha256').update(value).digest('hex')
  headers[DeadLetterHeaderName.originalHead] = value.subarray(0, headBytes).toString('hex')
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}
