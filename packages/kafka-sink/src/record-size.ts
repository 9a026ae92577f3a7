import type { OutgoingRecord } from './producer-client.js'

// Sizes used to keep produce requests under the broker's limits without encoding them first.

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

/** The most a record's varint lengths, attributes and deltas take besides its bytes. */
const recordFraming = 36
/** The most a header's two varint lengths take. */
const headerFraming = 10

/**
 * At most what a record takes in a record batch, counting every varint at its widest and header
 * strings in UTF-8 bytes. Used where a record must surely fit (a dead-letter record is sized with
 * it), not on the hot path.
 */
export function recordUpperBound(record: OutgoingRecord): number {
  let size = recordFraming + (record.key?.byteLength ?? 0) + (record.value?.byteLength ?? 0)
  for (const name in record.headers)
    size += headerFraming + Buffer.byteLength(name) + Buffer.byteLength(record.headers[name]!)
  return size
}
