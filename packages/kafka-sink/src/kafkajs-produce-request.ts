import { crc32c } from './crc32c.js'

// kafkajs builds a produce request bottom up: an encoder per record, one per record batch, one per
// partition and topic, each copied into its parent, and a spread copy of every message on the way.
// While draining, that was most of kafkajs's share of the relay's allocations. This writes the very
// same bytes (Produce v3 to v7 share one body) into one buffer sized beforehand. Requests it does
// not cover (compressed, or with message timestamps, or unusual field types) go to kafkajs.

interface Encoder {
  buf: Buffer
  offset: number
  ensureAvailable(length: number): void
  writeString(value: string | null): Encoder
  writeInt16(value: number): Encoder
  writeInt32(value: number): Encoder
  writeInt64(value: unknown): Encoder
}

interface ProduceMessage {
  key?: unknown
  value?: unknown
  headers?: unknown
  timestamp?: unknown
}

interface ProduceRequestOptions {
  acks: number
  timeout: number
  transactionalId?: string | null
  producerId?: unknown
  producerEpoch?: number
  compression?: number
  topicData: ReadonlyArray<{
    topic: string
    partitions: ReadonlyArray<{ partition: number; firstSequence?: number; messages: ProduceMessage[] }>
  }>
}

interface ProduceRequest {
  encode(): Promise<Encoder>
}

/** Record batch v2 attribute bit of a batch inside a transaction. */
const transactionalAttribute = 16
const recordBatchMagic = 2
/** From a batch's first offset to its CRC's end: offset, length, leader epoch, magic, CRC. */
const batchPrefixSize = 8 + 4 + 4 + 1 + 4
/** From the attributes to the record count. */
const batchBodyHeaderSize = 2 + 4 + 8 + 8 + 8 + 2 + 4 + 4

/**
 * kafkajs's Produce v3 request module, corrected: `stock` is kafkajs's own, used for everything
 * but the encoding of the requests covered here.
 */
export function createProduceRequest<Request extends ProduceRequest>(
  Encoder: new () => Encoder,
  stock: (options: ProduceRequestOptions) => Request,
): (options: ProduceRequestOptions) => Request {
  return (options) => {
    const request = stock(options)
    return {
      ...request,
      encode: () => {
        const encoder = encodeInOnePass(Encoder, options)
        return encoder ? Promise.resolve(encoder) : request.encode()
      },
    }
  }
}

/** The request body in one buffer, or undefined when kafkajs must encode it. */
export function encodeInOnePass(
  Encoder: new () => Encoder,
  options: ProduceRequestOptions,
): Encoder | undefined {
  if ((options.compression ?? 0) !== 0) return undefined
  const { transactionalId = null } = options
  const recordSizes: number[] = []
  let size = 2 + (transactionalId === null ? 0 : Buffer.byteLength(transactionalId, 'utf8')) + 2 + 4 + 4
  for (const { topic, partitions } of options.topicData) {
    size += 2 + Buffer.byteLength(topic, 'utf8') + 4
    for (const { messages } of partitions) {
      size += 4 + 4 + batchPrefixSize + batchBodyHeaderSize
      for (let index = 0; index < messages.length; index++) {
        const bodySize = recordBodySize(messages[index]!, index)
        if (bodySize < 0) return undefined
        recordSizes.push(bodySize)
        size += sizeOfVarInt(bodySize) + bodySize
      }
    }
  }

  const encoder = new Encoder()
  encoder.ensureAvailable(size)
  encoder
    .writeString(transactionalId)
    .writeInt16(options.acks)
    .writeInt32(options.timeout)
    .writeInt32(options.topicData.length)
  // kafkajs takes the time once per partition; all records of a batch carry it (delta 0).
  const now = Date.now()
  const attributes = transactionalId ? transactionalAttribute : 0
  let record = 0
  for (const { topic, partitions } of options.topicData) {
    encoder.writeString(topic).writeInt32(partitions.length)
    for (const { partition, firstSequence = 0, messages } of partitions) {
      encoder.writeInt32(partition)
      const sizeAt = encoder.offset
      encoder.writeInt32(0).writeInt64(0).writeInt32(0).writeInt32(0)
      encoder.buf.writeInt8(recordBatchMagic, encoder.offset)
      const crcAt = encoder.offset + 1
      encoder.offset += 5
      const bodyAt = encoder.offset
      encoder
        .writeInt16(attributes)
        .writeInt32(messages.length - 1)
        .writeInt64(now)
        .writeInt64(now)
        .writeInt64(options.producerId ?? -1)
        .writeInt16(options.producerEpoch ?? 0)
        .writeInt32(firstSequence)
        .writeInt32(messages.length)
      let at = encoder.offset
      const buf = encoder.buf
      for (let index = 0; index < messages.length; index++) {
        at = writeRecord(buf, at, messages[index]!, index, recordSizes[record++]!)
      }
      encoder.offset = at
      // The batch's length counts from the leader epoch; the partition's, from the first offset.
      buf.writeInt32BE(at - sizeAt - 4, sizeAt)
      buf.writeInt32BE(at - sizeAt - 4 - 12, sizeAt + 4 + 8)
      buf.writeUInt32BE(crc32c(buf.subarray(bodyAt, at)), crcAt)
    }
  }
  return encoder
}

type Bytes = Buffer | string | null | undefined

const isBytes = (value: unknown): value is Bytes =>
  value === null || value === undefined || typeof value === 'string' || Buffer.isBuffer(value)

const bytesSize = (value: Bytes): number => {
  if (value === null || value === undefined) return 1
  const length = typeof value === 'string' ? Buffer.byteLength(value, 'utf8') : value.length
  return sizeOfVarInt(length) + length
}

/** A record's size after its length prefix, or -1 when kafkajs must encode it. */
function recordBodySize(message: ProduceMessage, offsetDelta: number): number {
  const { key, value, headers = {}, timestamp } = message
  if (timestamp !== undefined && timestamp !== null) return -1
  if (!isBytes(key) || !isBytes(value) || typeof headers !== 'object' || headers === null) return -1
  let size = 1 + 1 + sizeOfVarInt(offsetDelta) + bytesSize(key) + bytesSize(value)
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

function writeRecord(
  buf: Buffer,
  start: number,
  message: ProduceMessage,
  offsetDelta: number,
  bodySize: number,
): number {
  let at = writeVarInt(buf, start, bodySize)
  buf[at++] = 0 // attributes
  buf[at++] = 0 // timestamp delta
  at = writeVarInt(buf, at, offsetDelta)
  at = writeBytes(buf, at, message.key as Bytes)
  at = writeBytes(buf, at, message.value as Bytes)
  const entries = (message.headers ?? {}) as Record<string, Bytes | Bytes[]>
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
function writeVarInt(buf: Buffer, start: number, value: number): number {
  let rest = ((value << 1) ^ (value >> 31)) >>> 0
  let at = start
  while (rest > 0x7f) {
    buf[at++] = (rest & 0x7f) | 0x80
    rest >>>= 7
  }
  buf[at++] = rest
  return at
}

function sizeOfVarInt(value: number): number {
  let rest = ((value << 1) ^ (value >> 31)) >>> 0
  let size = 1
  while (rest > 0x7f) {
    rest >>>= 7
    size++
  }
  return size
}
