import { type EnvelopeHeader, factHeaders, readEnvelopeHeader } from '@factlib/core/wire'
import { lsnText } from './lsn-text.js'
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
} as const

/** Where a fact goes: its own topic, or the dead-letter topic and why. */
export type Route =
  | { kind: 'topic'; record: OutgoingRecord; header: EnvelopeHeader }
  | {
      kind: 'dead-letter'
      record: OutgoingRecord
      reason: string
      originalTopic: string | undefined
      header: EnvelopeHeader | undefined
    }

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}

const uncachedTopicNames = new TopicNames(0)

/**
 * Routes a fact the way the Go factlib does: topic `<prefix>.<aggregateType>`, key aggregateId,
 * value the envelope bytes untouched, headers from the envelope and the LSN. Facts that cannot go
 * to their topic (the caller said so, the envelope does not decode, the topic name is illegal) are
 * routed to the dead-letter topic instead.
 */
export function routeFact(
  fact: SinkFact,
  deadLetterTopic: string,
  topicNames: TopicNames = uncachedTopicNames,
): Route {
  const lsn = lsnText(fact.lsn)
  let header: EnvelopeHeader
  try {
    header = readEnvelopeHeader(fact.value)
  } catch (error) {
    const reason = `envelope does not decode: ${error instanceof Error ? error.message : String(error)}`
    return deadLetterRoute(fact, deadLetterTopic, fact.deadLetterReason ?? reason, undefined, undefined)
  }
  const { topic, problem } = topicNames.choose(fact.prefix, header.aggregateType)
  if (fact.deadLetterReason !== undefined) {
    return deadLetterRoute(fact, deadLetterTopic, fact.deadLetterReason, topic, header)
  }
  if (header.aggregateType === '') {
    return deadLetterRoute(fact, deadLetterTopic, 'envelope has no aggregate_type', undefined, header)
  }
  if (problem) {
    return deadLetterRoute(
      fact,
      deadLetterTopic,
      `invalid topic name '${topic}': it ${problem}`,
      topic,
      header,
    )
  }
  return {
    kind: 'topic',
    header,
    record: {
      topic,
      key: Buffer.from(header.aggregateId, 'utf8'),
      value: asBuffer(fact.value),
      headers: factHeaders(header, lsn),
    },
  }
}

/**
 * The dead-letter record of a fact: same key and value, the fact's headers where the envelope
 * decoded, plus why and where from. Records without a key get a fixed partition so that a retry
 * lands where the first attempt did (the idempotent producer's sequence numbers depend on it).
 */
export function deadLetterRoute(
  fact: SinkFact,
  deadLetterTopic: string,
  reason: string,
  originalTopic: string | undefined,
  header: EnvelopeHeader | undefined,
): Route & { kind: 'dead-letter' } {
  const lsn = lsnText(fact.lsn)
  const headers: Record<string, string> = header ? factHeaders(header, lsn) : {}
  headers[DeadLetterHeaderName.lsn] = lsn
  headers[DeadLetterHeaderName.error] = reason
  if (originalTopic !== undefined) headers[DeadLetterHeaderName.originalTopic] = originalTopic
  const key = header ? Buffer.from(header.aggregateId, 'utf8') : null
  return {
    kind: 'dead-letter',
    reason,
    originalTopic,
    header,
    record: {
      topic: deadLetterTopic,
      key,
      value: asBuffer(fact.value),
      headers,
      ...(key === null ? { partition: 0 } : {}),
    },
  }
}

/** The same dead-letter record without its value, for a dead-letter topic that refuses the value too. */
export function withoutValue(record: OutgoingRecord, why: string): OutgoingRecord {
  const size = record.value?.byteLength ?? 0
  return {
    ...record,
    value: null,
    headers: { ...record.headers, [DeadLetterHeaderName.valueOmitted]: `${size} bytes: ${why}` },
  }
}

/** Bytes of a record batch besides its records (Kafka's v2 batch header). */
export const recordBatchOverhead = 61

/**
 * At least what a record takes in a record batch: key, value and header names and values, without
 * the varint lengths. A record whose batch exceeds max.message.bytes even by this count is refused.
 */
export function recordMinimumSize(record: OutgoingRecord): number {
  let size = (record.key?.byteLength ?? 0) + (record.value?.byteLength ?? 0)
  for (const name in record.headers)
    size += Buffer.byteLength(name) + Buffer.byteLength(record.headers[name]!)
  return size
}

/** Roughly what a record costs on the wire, to keep a produce request under the broker's limits. */
export function recordWireSize(record: OutgoingRecord): number {
  let size = 24 + (record.key?.byteLength ?? 0) + (record.value?.byteLength ?? 0)
  for (const name in record.headers) size += 8 + name.length + record.headers[name]!.length
  return size
}
