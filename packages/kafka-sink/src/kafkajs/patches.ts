/// <reference types="node" preserve="true" />
import Module, { createRequire } from 'node:module'
import type * as Kafkajs from 'kafkajs'
import { type KafkajsCorrection, type KafkajsCorrectionName, kafkajsCorrectionNames } from './corrections.js'
import { crc32c } from './crc32c.js'
import { type RecordTail, recordTailSize, writeRecordTail } from './kafka-record.js'
import { murmur2OfKey } from './murmur2.js'
import { createProduceRequest } from './produce-request.js'
import { createRequestFrame } from './request-frame.js'
import { rememberTransactionCoordinator } from './transaction-coordinator.js'

// kafkajs 2.2.4 is the last release and is no longer maintained, so the faults below are
// corrected in place, on the copy of kafkajs this package loads, once per process, when this module
// loads: they change kafkajs for every user of that copy, not only the sink. Each replacement
// produces exactly what the original did (kafkajs-patches.test.ts compares whole produce requests
// and partition groupings); anything outside the fast paths goes to the original. The corrections
// reach into kafkajs/src, so package.json pins kafkajs to exactly the release they were made for.

const require = createRequire(import.meta.url)
/** Marks what has been corrected; shared by every copy of this package in the process. */
const patched = Symbol.for('@factlib/kafka-sink.kafkajs-patched')

type Message = Record<string, unknown>
type Partitioner = (args: { topic: string; partitionMetadata: unknown[]; message: Message }) => number

/**
 * kafkajs groups a batch by partition by copying the partition's whole array for every message
 * (`[...current, message]`): quadratic, and for a 2,000-record batch about 1.5 MB of garbage.
 * This is the same grouping in one pass.
 */
export function groupMessagesPerPartition(args: {
  topic: string
  partitionMetadata: unknown[]
  messages: Message[]
  partitioner: Partitioner
}): Record<number, Message[]> {
  const { topic, partitionMetadata, messages, partitioner } = args
  const groups: Record<number, Message[]> = {}
  if (partitionMetadata.length === 0) return groups
  for (const message of messages) {
    const partition = partitioner({ topic, partitionMetadata, message })
    const group = groups[partition]
    if (group) group.push(message)
    else groups[partition] = [message]
  }
  return groups
}

interface RecordFields extends RecordTail {
  offsetDelta?: number
  timestampDelta?: unknown
}

interface EncoderInstance {
  buf: Buffer
  offset: number
  ensureAvailable(length: number): void
  writeVarInt(value: number): EncoderInstance
  writeInt8(value: number): EncoderInstance
  writeVarLong(value: unknown): EncoderInstance
}

interface EncoderStatics {
  new (): EncoderInstance
  sizeOfVarInt(value: number): number
  sizeOfVarLong(value: unknown): number
}

/**
 * kafkajs encodes a record through a list of header objects and one encoder per header, each of
 * which starts as its own zeroed buffer: about 1 KB of garbage per record. This writes the same
 * bytes into one encoder sized once. Records with other kinds of keys, values or headers than
 * Buffers and strings go to kafkajs's own encoder, which treats them in its own ways.
 */
export function createRecordEncoder(
  Encoder: EncoderStatics,
  stock: (fields: RecordFields) => EncoderInstance,
): (fields: RecordFields) => EncoderInstance {
  return (fields) => {
    const tailSize = recordTailSize(fields)
    if (tailSize < 0) return stock(fields)
    const { offsetDelta = 0, timestampDelta = 0 } = fields
    // Attributes (a byte), the two deltas, then key, value and headers.
    const bodySize = 1 + Encoder.sizeOfVarLong(timestampDelta) + Encoder.sizeOfVarInt(offsetDelta) + tailSize
    const encoder = new Encoder()
    encoder.ensureAvailable(Encoder.sizeOfVarInt(bodySize) + bodySize)
    encoder.writeVarInt(bodySize).writeInt8(0).writeVarLong(timestampDelta).writeVarInt(offsetDelta)
    encoder.offset = writeRecordTail(encoder.buf, encoder.offset, fields)
    return encoder
  }
}

/**
 * The corrections that replace a module kafkajs captures when it loads: they can only be made
 * before kafkajs loads, by putting the replacement in the module cache where kafkajs will look.
 */
const moduleCorrections: ReadonlyArray<{
  name: KafkajsCorrectionName
  module: string
  replacement: () => unknown
}> = [
  {
    name: 'partition-grouping',
    module: 'kafkajs/src/producer/groupMessagesPerPartition.js',
    replacement: () => groupMessagesPerPartition,
  },
  {
    name: 'record-encoder',
    module: 'kafkajs/src/protocol/recordBatch/record/v0/index.js',
    replacement: () =>
      createRecordEncoder(
        require('kafkajs/src/protocol/encoder.js') as EncoderStatics,
        require('kafkajs/src/protocol/recordBatch/record/v0/index.js') as (
          fields: RecordFields,
        ) => EncoderInstance,
      ),
  },
  {
    // A byte at a time, kafkajs's checksum of every record batch was a tenth of a drain's CPU.
    name: 'batch-crc32c',
    module: 'kafkajs/src/protocol/recordBatch/crc32C/index.js',
    replacement: () => crc32c,
  },
  {
    name: 'murmur2-key-hash',
    module: 'kafkajs/src/producer/partitioners/default/murmur2.js',
    replacement: () => murmur2OfKey,
  },
  {
    name: 'request-frame',
    module: 'kafkajs/src/protocol/request.js',
    replacement: () =>
      createRequestFrame(require('kafkajs/src/protocol/encoder.js') as new () => EncoderInstance),
  },
  {
    // Last: loading kafkajs's own request module loads the record and checksum modules above.
    name: 'produce-request',
    module: 'kafkajs/src/protocol/requests/produce/v3/request.js',
    replacement: () =>
      createProduceRequest(
        require('kafkajs/src/protocol/encoder.js') as Parameters<typeof createProduceRequest>[0],
        require('kafkajs/src/protocol/requests/produce/v3/request.js') as Parameters<
          typeof createProduceRequest
        >[1],
      ),
  },
]

type CachedModule = Module & Record<symbol, unknown>

/** Puts `exports` in the module cache under `path`, for kafkajs to find when it loads. */
function seedModule(path: string, exports: unknown): void {
  let entry = require.cache[path] as CachedModule | undefined
  if (entry) entry.exports = exports
  else {
    entry = new Module(path) as CachedModule
    entry.filename = path
    entry.loaded = true
    entry.exports = exports
    require.cache[path] = entry
  }
  entry[patched] = true
}

/** What became of each correction when this module loaded. */
const outcomes = new Map<KafkajsCorrectionName, Omit<KafkajsCorrection, 'name'>>([
  // Not a change to kafkajs: client.ts checks every sendBatch() answer for partitions left unsent
  // and sends them again (unsent-partitions.ts), whatever loaded kafkajs first.
  ['unsent-partitions', { applied: true }],
])

/** Makes one correction; `correct` returns why it made none, or throws why it could not. */
function attempt(name: KafkajsCorrectionName, correct: () => string | undefined): void {
  try {
    const skipped = correct()
    outcomes.set(name, skipped === undefined ? { applied: true } : { applied: false, reason: skipped })
  } catch (error) {
    const reason = `could not be applied: ${error instanceof Error ? error.message : String(error)}`
    outcomes.set(name, { applied: false, reason })
  }
}

/**
 * Which corrections to kafkajs are in effect in this process: one entry per correction, in a fixed
 * order. One that is not gives the reason: kafkajs was loaded before this package, or it could not
 * be applied (a kafkajs laid out differently from the pinned release).
 */
export function kafkajsCorrections(): KafkajsCorrection[] {
  return kafkajsCorrectionNames.map((name) => ({
    name,
    ...(outcomes.get(name) ?? { applied: false, reason: 'not attempted' }),
  }))
}

/**
 * kafkajs re-arms a timer after every broker answer with a delay of `throttledUntil - now`,
 * negative when nothing is throttled: Node 24 prints a TimeoutNegativeWarning, and the timer then
 * fires every millisecond for as long as the connection lives (kafkajs issues 1751, 1704). The
 * timer is only needed while requests wait, so it is armed only then; the upstream fix (PR 1768)
 * does the same.
 */
function quietRequestQueueTimer(): undefined {
  const RequestQueue = require('kafkajs/src/network/requestQueue/index.js') as {
    prototype: Record<string | symbol, unknown>
  }
  const prototype = RequestQueue.prototype
  if (prototype[patched]) return
  if (typeof prototype.scheduleCheckPendingRequests !== 'function') {
    throw new Error('kafkajs RequestQueue has no scheduleCheckPendingRequests method')
  }
  prototype.scheduleCheckPendingRequests = function (this: {
    throttledUntil: number
    throttleCheckTimeoutId: ReturnType<typeof setTimeout> | null
    pending: unknown[]
    checkPendingRequests(): void
  }) {
    if (this.throttleCheckTimeoutId || this.pending.length === 0) return
    const untilUnthrottled = this.throttledUntil - Date.now()
    this.throttleCheckTimeoutId = setTimeout(
      () => {
        this.throttleCheckTimeoutId = null
        this.checkPendingRequests()
      },
      untilUnthrottled > 0 ? untilUnthrottled : 10,
    )
  }
  prototype[patched] = true
}

interface KafkajsEncoder {
  buf: Buffer
  offset: number
  ensureAvailable(length: number): void
  writeEncoderArray(value: unknown): KafkajsEncoder
  writeArray(array: unknown, type?: string, length?: number): KafkajsEncoder
  writeInt32(value: number): KafkajsEncoder
  writeUVarInt(value: number): KafkajsEncoder
  writeVarLong(value: unknown): KafkajsEncoder
}

interface KafkajsEncoderClass {
  prototype: KafkajsEncoder & Record<symbol, unknown>
  nextPowerOfTwo(value: number): number
  sizeOfVarInt(value: number): number
  sizeOfVarLong(value: unknown): number
}

/** Capacity a new encoder starts with: small enough for V8 to keep the bytes on its own heap. */
const initialCapacity = 64
/** Varlongs of integers below 2^30 in magnitude encode exactly as their 32-bit zigzag form. */
const isSmallInteger = (value: unknown): value is number =>
  typeof value === 'number' && Number.isInteger(value) && Math.abs(value) < 2 ** 30

const isEncoder = (value: unknown): value is KafkajsEncoder =>
  typeof value === 'object' &&
  value !== null &&
  Buffer.isBuffer((value as KafkajsEncoder).buf) &&
  typeof (value as KafkajsEncoder).offset === 'number'

/** Copies the encoders' bytes after the target's, growing it once for all of them. */
function appendEncoders(target: KafkajsEncoder, encoders: readonly KafkajsEncoder[]): KafkajsEncoder {
  let total = 0
  for (const encoder of encoders) total += encoder.offset
  target.ensureAvailable(total)
  for (const encoder of encoders) {
    encoder.buf.copy(target.buf, target.offset, 0, encoder.offset)
    target.offset += encoder.offset
  }
  return target
}

/**
 * Producing one record used to allocate about 2.5 KB of garbage: every record and every header is
 * a new encoder that starts with a zero-filled 512-byte off-heap buffer, and every varint is a
 * temporary array copied into a new Buffer (varlongs through 64-bit Long objects). While draining,
 * that made the garbage collector and buffer allocation a third of the relay's CPU. Encoders now
 * start small and grow with pooled, unfilled memory (nothing reads past `offset`), and varints
 * are written in place. A produce request nests encoders several levels deep, each appending its
 * children; growing by doubling at every level allocated about 7 MiB for a 700 KB request, so a
 * large append now grows to fit and an array of encoders is sized once.
 */
function encodeWithoutGarbage(): undefined {
  const Encoder = require('kafkajs/src/protocol/encoder.js') as KafkajsEncoderClass
  const prototype = Encoder.prototype
  if (prototype[patched]) return
  const probe = Object.getOwnPropertyDescriptor(prototype, 'writeUVarInt')
  if (typeof probe?.value !== 'function' || typeof prototype.ensureAvailable !== 'function') {
    throw new Error('kafkajs Encoder has no writeUVarInt or ensureAvailable method')
  }

  const originalWriteVarLong = prototype.writeVarLong
  const originalSizeOfVarLong = Encoder.sizeOfVarLong.bind(Encoder)
  const originalNextPowerOfTwo = Encoder.nextPowerOfTwo.bind(Encoder)

  // Only the constructor calls this once ensureAvailable below no longer does.
  Encoder.nextPowerOfTwo = (value) => Math.min(originalNextPowerOfTwo(value), initialCapacity)

  prototype.ensureAvailable = function (this: KafkajsEncoder, length: number) {
    const needed = this.offset + length
    if (needed <= this.buf.length) return
    // Doubling keeps many small writes cheap; one large append gets exactly what it needs.
    const grown = Buffer.allocUnsafe(needed > 2 * this.buf.length ? needed : originalNextPowerOfTwo(needed))
    this.buf.copy(grown, 0, 0, this.offset)
    this.buf = grown
  }

  const originalWriteEncoderArray = prototype.writeEncoderArray
  prototype.writeEncoderArray = function (this: KafkajsEncoder, value: unknown) {
    return Array.isArray(value) && value.every(isEncoder)
      ? appendEncoders(this, value)
      : originalWriteEncoderArray.call(this, value)
  }

  // An array of encoders without a declared type (topics and partitions of a produce request)
  // went through one append per element.
  const originalWriteArray = prototype.writeArray
  prototype.writeArray = function (this: KafkajsEncoder, array: unknown, type?: string, length?: number) {
    if ((type === undefined || type === 'object') && Array.isArray(array) && array.every(isEncoder)) {
      this.writeInt32(length ?? array.length)
      return appendEncoders(this, array)
    }
    return originalWriteArray.call(this, array, type, length)
  }

  prototype.writeUVarInt = function (this: KafkajsEncoder, value: number) {
    this.ensureAvailable(5)
    const buf = this.buf
    let offset = this.offset
    let rest = value
    while ((rest & 0xffffff80) !== 0) {
      buf[offset++] = (rest & 0x7f) | 0x80
      rest >>>= 7
    }
    buf[offset++] = rest & 0x7f
    this.offset = offset
    return this
  }

  prototype.writeVarLong = function (this: KafkajsEncoder, value: unknown) {
    return isSmallInteger(value)
      ? this.writeUVarInt((value << 1) ^ (value >> 31))
      : originalWriteVarLong.call(this, value)
  }

  Encoder.sizeOfVarLong = (value) =>
    isSmallInteger(value) ? Encoder.sizeOfVarInt(value) : originalSizeOfVarLong(value)
  prototype[patched] = true
}

/** Transaction coordinators are looked up once, not before every request (see the module it calls). */
function rememberTransactionCoordinators(): undefined {
  const Cluster = require('kafkajs/src/cluster/index.js') as { prototype: Record<string | symbol, unknown> }
  const prototype = Cluster.prototype
  if (prototype[patched]) return
  const find = prototype.findGroupCoordinator
  if (typeof find !== 'function') throw new Error('kafkajs Cluster has no findGroupCoordinator method')
  prototype.findGroupCoordinator = rememberTransactionCoordinator(
    find as Parameters<typeof rememberTransactionCoordinator>[0],
  )
  prototype[patched] = true
}

/**
 * kafkajs itself, corrected (last in this file, so that everything it calls is defined). The
 * modules kafkajs captures when it loads are replaced in the module cache first, unless something
 * loaded kafkajs earlier (another copy of this package may have replaced them before it did). The
 * other corrections change prototypes, and apply either way.
 */
export const kafkajs: typeof Kafkajs = (() => {
  // Not merely cached: Node's ESM loader puts a CommonJS module in the cache while linking, and
  // runs it only when its importer's turn comes, which may be after this module's.
  const loadedFirst = require.cache[require.resolve('kafkajs')]?.loaded === true
  for (const { name, module, replacement } of moduleCorrections) {
    attempt(name, () => {
      const path = require.resolve(module)
      if (!loadedFirst) {
        seedModule(path, replacement())
        return undefined
      }
      if ((require.cache[path] as CachedModule | undefined)?.[patched]) return undefined
      return (
        'skipped: kafkajs was loaded before @factlib/kafka-sink and kept its own module; ' +
        'import @factlib/kafka-sink before anything that imports kafkajs'
      )
    })
  }
  const loaded = require('kafkajs') as typeof Kafkajs
  attempt('request-queue-timer', quietRequestQueueTimer)
  attempt('encoder-buffers', encodeWithoutGarbage)
  attempt('transaction-coordinator', rememberTransactionCoordinators)
  return loaded
})()
