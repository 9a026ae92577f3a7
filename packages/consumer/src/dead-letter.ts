/// <reference types="node" preserve="true" />
import type { FactRecord } from './fact-record.js'

/**
 * Headers a consumer's dead-letter record adds to the original record's headers. `error`,
 * `original_topic`, `LSN` and `prefix` are the names owlpost's dead letters use (checked against
 * @factlib/kafka-sink's `DeadLetterHeaderName` in a test); the `original_partition`,
 * `original_offset` and `consumer_group` say where a consumer found the record.
 */
export const ConsumerDeadLetterHeaderName = {
  error: 'error',
  originalTopic: 'original_topic',
  lsn: 'LSN',
  prefix: 'prefix',
  originalPartition: 'original_partition',
  originalOffset: 'original_offset',
  consumerGroup: 'consumer_group',
} as const

export interface DeadLetterRecord {
  readonly topic: string
  readonly key: Buffer | null
  readonly value: Buffer | null
  readonly headers: Record<string, string>
}

/**
 * The dead-letter record of a record the consumer cannot apply, by owlpost's rules: the same key
 * and value, the record's own headers (its `LSN` among them), plus why and where from.
 */
export function deadLetterRecord(
  record: FactRecord,
  reason: string,
  deadLetterTopic: string,
  consumerGroup: string,
  prefix: string | undefined,
): DeadLetterRecord {
  const headers: Record<string, string> = { ...record.headers }
  headers[ConsumerDeadLetterHeaderName.error] = reason
  headers[ConsumerDeadLetterHeaderName.originalTopic] = record.topic
  if (prefix !== undefined) headers[ConsumerDeadLetterHeaderName.prefix] = prefix
  headers[ConsumerDeadLetterHeaderName.originalPartition] = String(record.partition)
  headers[ConsumerDeadLetterHeaderName.originalOffset] = record.offset
  headers[ConsumerDeadLetterHeaderName.consumerGroup] = consumerGroup
  return { topic: deadLetterTopic, key: record.key, value: record.value, headers }
}
