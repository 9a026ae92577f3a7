import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import { compileFunction } from 'node:vm'
import { Worker } from 'node:worker_threads'
import { describe, expect, it, vi } from 'vitest'
import { type KafkajsCorrection, kafkajsCorrectionNames, reportKafkajsCorrections } from './corrections.js'
import { createRecordEncoder, groupMessagesPerPartition, kafkajsCorrections } from './patches.js'
import { encodeInOnePass } from './produce-request.js'

const require = createRequire(import.meta.url)

interface Encoder {
  buffer: Buffer
  writeVarLong(value: unknown): Encoder
  writeVarInt(value: number): Encoder
  writeUVarInt(value: number): Encoder
  writeVarIntBytes(value: unknown): Encoder
}
const Encoder = require('kafkajs/src/protocol/encoder.js') as {
  new (): Encoder
  sizeOfVarLong(value: unknown): number
}
const Long = require('kafkajs/src/utils/long.js') as { fromString(text: string): unknown }
type KafkajsRequest = { apiKey: number; apiVersion: number; encode(): Promise<{ buffer: Buffer }> }
const produceRequest = require('kafkajs/src/protocol/requests/produce/v3/request.js') as (
  options: Record<string, unknown>,
) => KafkajsRequest
const apiVersionsRequest =
  require('kafkajs/src/protocol/requests/apiVersions/v0/request.js') as () => KafkajsRequest
const createRequest = require('kafkajs/src/protocol/request.js') as (args: {
  correlationId: number
  clientId: string | null
  request: KafkajsRequest
}) => Promise<{ buffer: Buffer }>

/** Deterministic pseudo-random numbers (mulberry32), so a failure can be replayed. */
function random(seed: number) {
  let state = seed >>> 0
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const int = (below: number) => Math.floor(next() * below)
  const pick = <T>(choices: readonly T[]) => choices[int(choices.length)]!
  const bytes = (length: number) => Buffer.from(Array.from({ length }, () => int(256)))
  const text = (length: number) =>
    Array.from({ length }, () => pick(['a', 'z', '0', '-', 'é', '€', '𝄞', ' '])).join('')
  return { int, pick, bytes, text }
}

/**
 * Half the requests carry message timestamps (kafkajs encodes those), half do not, as the sink's
 * (the one-pass encoder writes those); some are transactional.
 */
function randomProduceRequest(seed: number): Record<string, unknown> {
  const { int, pick, bytes, text } = random(seed)
  const withTimestamps = seed % 2 === 1
  const sizes = [0, 1, 40, 200, 511, 512, 3000, 5000, 70_000]
  const field = () =>
    pick<() => unknown>([() => null, () => text(int(60)), () => bytes(pick(sizes)), () => bytes(int(300))])()
  const headerValue = () => (int(2) === 0 ? text(int(80)) : bytes(int(80)))
  const baseTime = 1_700_000_000_000 + int(1_000_000)
  const timeDeltas = [0, 1, 999, 2 ** 30 - 1, 2 ** 30, 2 ** 31 + 5, -1, -(2 ** 30), -(2 ** 33)]
  const partition = (index: number) => ({
    partition: index,
    firstSequence: int(1000),
    messages: Array.from({ length: 1 + int(40) }, () => {
      const headers: Record<string, unknown> = {}
      for (let h = int(5); h > 0; h--) {
        headers[text(1 + int(12))] = int(4) === 0 ? [headerValue(), headerValue()] : headerValue()
      }
      return {
        key: field(),
        value: field(),
        headers,
        ...(withTimestamps ? { timestamp: baseTime + (int(3) === 0 ? pick(timeDeltas) : int(5000)) } : {}),
      }
    }),
  })
  return {
    acks: -1,
    timeout: 30_000,
    ...(int(3) === 0 ? { transactionalId: `factlib-${text(int(10))}` } : {}),
    producerId: 1000 + int(100),
    producerEpoch: int(5),
    compression: 0,
    topicData: Array.from({ length: 1 + int(3) }, (_, topic) => ({
      topic: `factlib.topic-${topic}-${text(int(8))}`,
      partitions: Array.from({ length: 1 + int(4) }, (_, index) => partition(index)),
    })),
  }
}

/** The clock both sides read: a request without timestamps carries the time it was encoded. */
const fixedNow = 1_700_000_123_456

const encodeRequest = async (options: Record<string, unknown>) =>
  Buffer.from((await produceRequest(options).encode()).buffer)

/** Client ids the requests are framed with: none, short, and one too long for the room left. */
const clientIds = [null, 'owlpost', '', 'é'.repeat(58)]

/** Values for writeVarLong; `{ long }` stands for kafkajs's Long of that text. */
const varLongs: unknown[] = [
  0,
  1,
  -1,
  63,
  -64,
  2 ** 30 - 1,
  -(2 ** 30),
  2 ** 30,
  2 ** 31,
  -(2 ** 31) - 1,
  Number.MAX_SAFE_INTEGER,
  Number.MIN_SAFE_INTEGER,
  '12345678901',
  { long: '-9223372036854775808' },
]

/**
 * Encodes with kafkajs as released: the corrections apply process-wide as soon as this file imports
 * them, so stock kafkajs runs in a worker thread, which loads its own copy of every module.
 * Structured cloning hands it Buffers as Uint8Arrays; it turns them back first.
 */
function encodeWithStockKafkajs(
  requests: Array<Record<string, unknown>>,
  values: unknown[],
): Promise<{
  requests: string[]
  framed: string[]
  varLongs: Array<[number, string]>
  writeUVarInt: string
}> {
  const worker = new Worker(
    `
    const { parentPort, workerData } = require('node:worker_threads')
    const load = require('node:module').createRequire(workerData.from)
    const Encoder = load('kafkajs/src/protocol/encoder.js')
    const Long = load('kafkajs/src/utils/long.js')
    const produceRequest = load('kafkajs/src/protocol/requests/produce/v3/request.js')
    const apiVersionsRequest = load('kafkajs/src/protocol/requests/apiVersions/v0/request.js')
    const createRequest = load('kafkajs/src/protocol/request.js')
    const revive = (value) =>
      value instanceof Uint8Array
        ? Buffer.from(value.buffer, value.byteOffset, value.byteLength)
        : Array.isArray(value)
          ? value.map(revive)
          : value !== null && typeof value === 'object'
            ? Object.fromEntries(Object.entries(value).map(([key, item]) => [key, revive(item)]))
            : value
    const varLong = (value) => (value !== null && typeof value === 'object' ? Long.fromString(value.long) : value)
    Date.now = () => workerData.now
    ;(async () => {
      const requests = []
      const framed = []
      for (const [index, request] of workerData.requests.entries()) {
        requests.push(Buffer.from((await produceRequest(revive(request)).encode()).buffer).toString('hex'))
        for (const body of [produceRequest(revive(request)), apiVersionsRequest()]) {
          const frame = await createRequest({ correlationId: index * 7919, clientId: workerData.clientIds[index % workerData.clientIds.length], request: body })
          framed.push(Buffer.from(frame.buffer).toString('hex'))
        }
      }
      const varLongs = workerData.varLongs.map((value) => [
        Encoder.sizeOfVarLong(varLong(value)),
        new Encoder().writeVarLong(varLong(value)).buffer.toString('hex'),
      ])
      parentPort.postMessage({ requests, framed, varLongs, writeUVarInt: String(Encoder.prototype.writeUVarInt) })
    })()
    `,
    {
      eval: true,
      workerData: {
        from: fileURLToPath(import.meta.url),
        requests,
        varLongs: values,
        now: fixedNow,
        clientIds,
      },
    },
  )
  return new Promise((resolve, reject) => {
    worker.once('message', (result) => {
      resolve(result)
      void worker.terminate()
    })
    worker.once('error', reject)
  })
}

describe('kafkajs patches', () => {
  it('are listed by name, the data-loss fix of unsent partitions with them', () => {
    expect(kafkajsCorrectionNames).toEqual([
      'request-queue-timer',
      'encoder-buffers',
      'transaction-coordinator',
      'record-encoder',
      'batch-crc32c',
      'murmur2-key-hash',
      'partition-grouping',
      'produce-request',
      'request-frame',
      'unsent-partitions',
    ])
  })

  it('are all in effect', () => {
    // Fails when kafkajs was loaded before the corrections, or one of them could not be applied
    // (say, a kafkajs of another layout): each entry then gives the reason.
    expect(kafkajsCorrections()).toEqual(kafkajsCorrectionNames.map((name) => ({ name, applied: true })))
  })

  it('write the very bytes stock kafkajs writes', async () => {
    const requests = Array.from({ length: 60 }, (_, seed) => randomProduceRequest(seed + 1))
    const stock = await encodeWithStockKafkajs(requests, varLongs)
    expect(String(Encoder.prototype.writeUVarInt), 'the worker must run stock kafkajs').not.toBe(
      stock.writeUVarInt,
    )
    const clock = vi.spyOn(Date, 'now').mockReturnValue(fixedNow)
    try {
      for (const [index, request] of requests.entries()) {
        const corrected = await encodeRequest(request)
        expect(corrected.toString('hex') === stock.requests[index], `request of seed ${index + 1}`).toBe(true)
        // Framed (size, api key, version, correlation id, client id): a produce request in the room
        // its encoder left, a short one by copy.
        for (const [which, body] of [produceRequest(request), apiVersionsRequest()].entries()) {
          const clientId = clientIds[index % clientIds.length]!
          const frame = await createRequest({ correlationId: index * 7919, clientId, request: body })
          const matches = Buffer.from(frame.buffer).toString('hex') === stock.framed[index * 2 + which]
          expect(matches, `framed request ${which} of seed ${index + 1}`).toBe(true)
        }
        // The even seeds (no timestamps) are the one-pass encoder's; the odd ones kafkajs's.
        expect(encodeInOnePass(Encoder as never, request as never) !== undefined, `seed ${index + 1}`).toBe(
          index % 2 === 1,
        )
      }
    } finally {
      clock.mockRestore()
    }
    const varLong = (value: unknown) =>
      value !== null && typeof value === 'object' ? Long.fromString((value as { long: string }).long) : value
    expect(
      varLongs.map((value) => [
        Encoder.sizeOfVarLong(varLong(value)),
        new Encoder().writeVarLong(varLong(value)).buffer.toString('hex'),
      ]),
    ).toEqual(stock.varLongs)
  })

  it('groups messages per partition as kafkajs did, and kafkajs uses that grouping', () => {
    const path = require.resolve('kafkajs/src/producer/groupMessagesPerPartition.js')
    const original = { exports: {} as unknown }
    compileFunction(readFileSync(path, 'utf8'), ['module', 'exports', 'require'])(original, {}, require)
    const stockGrouping = original.exports as typeof groupMessagesPerPartition
    for (let seed = 1; seed <= 20; seed++) {
      const { int } = random(seed)
      const partitions = 1 + int(12)
      const options = {
        topic: 't',
        partitionMetadata: Array.from({ length: seed % 7 === 0 ? 0 : partitions }, () => ({})),
        messages: Array.from({ length: int(500) }, (_, n) => ({ n, key: String(int(50)) })),
        partitioner: ({ message }: { message: Record<string, unknown> }) => Number(message.key) % partitions,
      }
      const ours = groupMessagesPerPartition(options)
      const stock = stockGrouping(options)
      expect(Object.keys(ours)).toEqual(Object.keys(stock))
      expect(ours).toEqual(stock)
    }
    const sendMessages = require.cache[require.resolve('kafkajs/src/producer/sendMessages.js')]
    expect(sendMessages?.children.some((child) => child.exports === groupMessagesPerPartition)).toBe(true)
  })

  it('encodes records as kafkajs did, and kafkajs uses that encoder', () => {
    const path = require.resolve('kafkajs/src/protocol/recordBatch/record/v0/index.js')
    const stockModule = { exports: {} as unknown }
    compileFunction(readFileSync(path, 'utf8'), ['module', 'exports', 'require'])(
      stockModule,
      {},
      createRequire(path),
    )
    type RecordEncoder = Parameters<typeof createRecordEncoder>[1]
    const stock = stockModule.exports as RecordEncoder
    const ours = createRecordEncoder(Encoder as unknown as Parameters<typeof createRecordEncoder>[0], stock)
    const bytesOf = (encode: RecordEncoder, fields: Record<string, unknown>) => {
      try {
        const encoder = encode(fields)
        return encoder.buf.subarray(0, encoder.offset).toString('hex')
      } catch (error) {
        return `throws ${(error as Error).name}`
      }
    }
    for (let seed = 1; seed <= 400; seed++) {
      const { int, pick, bytes, text } = random(seed)
      const plain = () =>
        pick<() => unknown>([() => null, () => undefined, () => bytes(int(300)), () => text(int(40))])()
      const headerValue = () =>
        pick<() => unknown>([() => text(int(50)), () => bytes(int(50)), () => [text(3), bytes(2)], () => 7])()
      const headers: Record<string, unknown> = {}
      for (let h = int(6); h > 0; h--)
        headers[int(5) === 0 ? String(int(10)) : text(1 + int(10))] = headerValue()
      const fields = {
        offsetDelta: int(3000),
        timestampDelta: pick([0, 5, 2 ** 31 + 5, -(2 ** 33), int(100_000)]),
        key: plain(),
        value: plain(),
        headers: int(8) === 0 ? undefined : headers,
      }
      expect(bytesOf(ours, fields), `record of seed ${seed}`).toBe(bytesOf(stock, fields))
    }
    expect((require(path) as RecordEncoder).toString()).not.toBe(stock.toString())
  })

  it('are made once however many copies of this module load', async () => {
    const writeUVarInt = Encoder.prototype.writeUVarInt
    // A second instance of the module, as when two copies of the package share one kafkajs: it
    // finds kafkajs loaded, and the corrections the first one made.
    const secondCopy = './patches.js?second-copy'
    const copy = (await import(secondCopy)) as { kafkajsCorrections(): KafkajsCorrection[] }
    expect(copy.kafkajsCorrections).not.toBe(kafkajsCorrections)
    expect(copy.kafkajsCorrections()).toEqual(kafkajsCorrections())
    expect(Encoder.prototype.writeUVarInt).toBe(writeUVarInt)
    expect(new Encoder().writeUVarInt(300).buffer.toString('hex')).toBe('ac02')
  })

  it('are reported at debug, with a warning for each one not in effect', () => {
    const logger = { debug: vi.fn(), info: vi.fn(), warn: vi.fn(), error: vi.fn() }
    const reason = 'skipped: kafkajs was loaded before @factlib/kafka-sink'
    reportKafkajsCorrections(logger, [
      { name: 'request-queue-timer', applied: true },
      { name: 'batch-crc32c', applied: false, reason },
    ])
    expect(logger.debug).toHaveBeenCalledWith(
      { kafkajsCorrections: { 'request-queue-timer': true, 'batch-crc32c': false } },
      'kafkajs corrections',
    )
    expect(logger.warn).toHaveBeenCalledTimes(1)
    expect(logger.warn.mock.calls[0]?.[0]).toEqual({ correction: 'batch-crc32c', reason })
  })
})
