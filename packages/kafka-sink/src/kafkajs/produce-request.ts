/// <reference types="node" preserve="true" />
import { crc32c } from './crc32c.js'
import {
  type RecordTail,
  recordTailSize,
  sizeOfVarInt,
  writeRecordTail,
  writeVarInt,
} from './kafka-record.js'
import { preparedTail } from './prepared-record.js'
import { encoderWithFrameRoom } from './request-frame.js'

// kafkajs builds a produce request bottom up: an encoder per record, one per record batch, one per
// partition and topic, each copied into its parent, and a spread copy of every message on the way.
// While draining, that was most of kafkajs's share of the relay's allocations. This writes the very
// same bytes (Produce v3 to v7 share one body) into one buffer sized beforehand; a prepared record
// (prepared-record.ts) is copied as it is. Requests it does not cover (compressed, or with message
// timestamps, or unusual field types) go to kafkajs.

interface Encoder {
  buf: Buffer
  offset: number
  writeString(value: string | null): Encoder
  writeInt16(value: number): Encoder
  writeInt32(value: number): Encoder
  writeInt64(value: unknown): Encoder
}

interface ProduceMessage extends RecordTail {
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
      encode: async () => encodeInOnePass(Encoder, options) ?? request.encode(),
    }
  }
}

/** The request body in one buffer, or undefined when kafkajs must encode it. */
export function encodeInOnePass(
  Encoder: new () => Encoder,
  options: ProduceRequestOptions,
): Encoder | undefined {
  if ((options.compression ?? 0) !== 0) return toKafkajs(options)
  const { transactionalId = null } = options
  const recordSizes: number[] = []
  let size = 2 + (transactionalId === null ? 0 : Buffer.byteLength(transactionalId, 'utf8')) + 2 + 4 + 4
  for (const { topic, partitions } of options.topicData) {
    size += 2 + Buffer.byteLength(topic, 'utf8') + 4
    for (const { messages } of partitions) {
      size += 4 + 4 + batchPrefixSize + batchBodyHeaderSize
      for (let index = 0; index < messages.length; index++) {
        const bodySize = recordBodySize(messages[index]!, index)
        if (bodySize < 0) return toKafkajs(options)
        recordSizes.push(bodySize)
        size += sizeOfVarInt(bodySize) + bodySize
      }
    }
  }

  // Sized once, with room before it for request-frame.ts to frame the request in place.
  const encoder = encoderWithFrameRoom(Encoder, size)
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

/**
 * Leaves the request to kafkajs, unless it holds a prepared record: kafkajs would write that
 * record's empty key, value and headers, so this refuses rather than send wrong records.
 */
function toKafkajs(options: ProduceRequestOptions): undefined {
  for (const { partitions } of options.topicData) {
    for (const { messages } of partitions) {
      if (messages.some((message) => preparedTail(message) !== undefined)) {
        throw new Error('a produce request with prepared records cannot be compressed or carry timestamps')
      }
    }
  }
  return undefined
}

/** A record's size after its length prefix, or -1 when kafkajs must encode it. */
function recordBodySize(message: ProduceMessage, offsetDelta: number): number {
  if (message.timestamp !== undefined && message.timestamp !== null) return -1
  const tail = preparedTail(message)?.length ?? recordTailSize(message)
  // Attributes and the timestamp delta (0) take a byte each.
  return tail < 0 ? -1 : 1 + 1 + sizeOfVarInt(offsetDelta) + tail
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
  const prepared = preparedTail(message)
  return prepared ? at + prepared.copy(buf, at) : writeRecordTail(buf, at, message)
}
