/// <reference types="node" preserve="true" />
import type { OutgoingRecord } from '../producer-client.js'
import { recordTailSize, writeRecordTail } from './kafka-record.js'
import { murmur2 } from './murmur2.js'

// A record waits in the sink from send() until Kafka acknowledges it: across several collections of
// the young generation, so everything it holds is copied, then promoted, then collected again. A
// record as routed holds a key Buffer, a headers object, the header strings and the envelope
// header they were read from. Prepared, it holds one Buffer: its key, value and headers already
// written as in a record batch, which the produce request copies as they are. The key's hash,
// which is all partitioning needs of the key, is kept as a number.

const tailOf = Symbol('@factlib/kafka-sink.prepared-tail')
const keyHashOf = Symbol('@factlib/kafka-sink.prepared-key-hash')

const noHeaders: Record<string, string> = Object.freeze({}) as Record<string, string>

/** A record whose key, value and headers are written in `[tailOf]`; its own are left empty. */
interface PreparedRecord extends OutgoingRecord {
  readonly [tailOf]: Buffer
  /** murmur2 of the key, or undefined for a record without a key. */
  readonly [keyHashOf]: number | undefined
}

/**
 * The record prepared, or the record itself when its fields are of kinds only kafkajs writes.
 * Only for a client whose every produce request goes through the one-pass encoder
 * (produce-request.ts): kafkajs's own encoder would write the empty fields.
 */
export function prepareRecord(record: OutgoingRecord): OutgoingRecord {
  const size = recordTailSize(record)
  if (size < 0) return record
  const tail = Buffer.allocUnsafe(size)
  writeRecordTail(tail, 0, record)
  const prepared: PreparedRecord = {
    topic: record.topic,
    key: null,
    // Not a value: kafkajs refuses a message whose value is undefined before it looks further.
    value: null,
    headers: noHeaders,
    ...(record.partition === undefined ? {} : { partition: record.partition }),
    [tailOf]: tail,
    [keyHashOf]: record.key === null ? undefined : murmur2(record.key),
  }
  return prepared
}

/** The key, value and headers of a prepared record, written; undefined for any other message. */
export function preparedTail(message: object): Buffer | undefined {
  return (message as Partial<PreparedRecord>)[tailOf]
}

/** Whether the message is a prepared record of a keyed record, and the key's murmur2 hash. */
export function preparedKeyHash(message: object): number | undefined {
  return (message as Partial<PreparedRecord>)[keyHashOf]
}
