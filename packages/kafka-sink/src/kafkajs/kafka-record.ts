/// <reference types="node" preserve="true" />
// The part of a Kafka record (v2, inside a record batch) after its timestamp and offset deltas:
// key, value and headers. Shared by the two corrections that write records (patches.ts
// record by record, produce-request.ts a whole request at once), so both write exactly
// the bytes kafkajs writes, in one place.

/** A key, value or header value as kafkajs writes it: bytes, or a string as UTF-8; absent as -1. */
export type Bytes = Buffer | string | null | undefined

/** The record fields these functions read (kafkajs's message shape). */
export interface RecordTail {
  key?: unknown
  value?: unknown
  headers?: unknown
}

const isBytes = (value: unknown): value is Bytes =>
  value === null || value === undefined || typeof value === 'string' || Buffer.isBuffer(value)

/** The size of a length-prefixed value: a varint length, then the bytes. */
function bytesSize(value: Bytes): number {
  if (value === null || value === undefined) return 1
  const length = typeof value === 'string' ? Buffer.byteLength(value, 'utf8') : value.length
  return sizeOfVarInt(length) + length
}

/**
 * The size of key, value, header count and headers, or -1 when a field is of a kind kafkajs
 * treats in its own ways (numbers, objects, null headers): then kafkajs must write the record.
 */
export function recordTailSize(record: RecordTail): number {
  const { key, value, headers = {} } = record
  if (!isBytes(key) || !isBytes(value) || typeof headers !== 'object' || headers === null) return -1
  let size = bytesSize(key) + bytesSize(value)
  let count = 0
  const entries = headers as Record<string, unknown>
  for (const name in entries) {
    if (!Object.hasOwn(entries, name)) continue
    const values = entries[name]
    const nameSize = bytesSize(name)
    // A header is one value or an array of them, counted by index: no array made per header.
    const many = Array.isArray(values)
    const length = many ? values.length : 1
    for (let index = 0; index < length; index++) {
      const item: unknown = many ? values[index] : values
      if (!(typeof item === 'string' || Buffer.isBuffer(item))) return -1
      size += nameSize + bytesSize(item)
      count++
    }
  }
  return size + sizeOfVarInt(count)
}

/** Writes what recordTailSize measured at `start` (room checked by the caller); returns the end. */
export function writeRecordTail(buf: Buffer, start: number, record: RecordTail): number {
  let at = writeBytes(buf, start, record.key as Bytes)
  at = writeBytes(buf, at, record.value as Bytes)
  const entries = (record.headers ?? {}) as Record<string, Bytes | Bytes[]>
  let count = 0
  for (const name in entries) {
    if (!Object.hasOwn(entries, name)) continue
    const values = entries[name]
    count += Array.isArray(values) ? values.length : 1
  }
  at = writeVarInt(buf, at, count)
  for (const name in entries) {
    if (!Object.hasOwn(entries, name)) continue
    const values = entries[name]
    if (Array.isArray(values)) {
      for (const item of values) at = writeBytes(buf, writeBytes(buf, at, name), item)
    } else at = writeBytes(buf, writeBytes(buf, at, name), values)
  }
  return at
}

function writeBytes(buf: Buffer, start: number, value: Bytes): number {
  if (value === null || value === undefined) return writeVarInt(buf, start, -1)
  if (typeof value === 'string') {
    const length = Buffer.byteLength(value, 'utf8')
    const at = writeVarInt(buf, start, length)
    return at + buf.write(value, at, length, 'utf8')
  }
  const at = writeVarInt(buf, start, value.length)
  return at + value.copy(buf, at)
}

/** A zigzag varint, as Kafka records write signed 32-bit integers. */
export function writeVarInt(buf: Buffer, start: number, value: number): number {
  let rest = ((value << 1) ^ (value >> 31)) >>> 0
  let at = start
  while (rest > 0x7f) {
    buf[at++] = (rest & 0x7f) | 0x80
    rest >>>= 7
  }
  buf[at++] = rest
  return at
}

export function sizeOfVarInt(value: number): number {
  let rest = ((value << 1) ^ (value >> 31)) >>> 0
  let size = 1
  while (rest > 0x7f) {
    rest >>>= 7
    size++
  }
  return size
}
