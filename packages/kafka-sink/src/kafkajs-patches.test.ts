import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { compileFunction } from 'node:vm'
import { describe, expect, it } from 'vitest'
import { createRecordEncoder, groupMessagesPerPartition, patchKafkajs } from './kafkajs-patches.js'
import { silentLogger } from './logger.js'

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
const produceRequest = require('kafkajs/src/protocol/requests/produce/v3/request.js') as (
  options: Record<string, unknown>,
) => { encode(): Promise<{ buffer: Buffer }> }

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

function randomProduceRequest(seed: number): Record<string, unknown> {
  const { int, pick, bytes, text } = random(seed)
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
        timestamp: baseTime + (int(3) === 0 ? pick(timeDeltas) : int(5000)),
      }
    }),
  })
  return {
    acks: -1,
    timeout: 30_000,
    producerId: 1000 + int(100),
    producerEpoch: int(5),
    compression: 0,
    topicData: Array.from({ length: 1 + int(3) }, (_, topic) => ({
      topic: `factlib.topic-${topic}-${text(int(8))}`,
      partitions: Array.from({ length: 1 + int(4) }, (_, index) => partition(index)),
    })),
  }
}

const encodeRequest = async (options: Record<string, unknown>) =>
  Buffer.from((await produceRequest(options).encode()).buffer)

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
  Long.fromString('-9223372036854775808'),
]

describe('kafkajs patches', () => {
  it('write the very bytes stock kafkajs writes', async () => {
    const probe = Object.getOwnPropertyDescriptor(Encoder.prototype, 'writeUVarInt')?.value
    const requests = Array.from({ length: 60 }, (_, seed) => randomProduceRequest(seed + 1))
    const stockRequests = []
    for (const request of requests) stockRequests.push(await encodeRequest(request))
    const stockVarLongs = varLongs.map((value) => [
      Encoder.sizeOfVarLong(value),
      new Encoder().writeVarLong(value).buffer.toString('hex'),
    ])

    patchKafkajs(silentLogger)
    const patchedProbe = Object.getOwnPropertyDescriptor(Encoder.prototype, 'writeUVarInt')?.value
    expect(patchedProbe, 'this test must see stock kafkajs first').not.toBe(probe)

    for (const [index, request] of requests.entries()) {
      const patched = await encodeRequest(request)
      expect(patched.equals(stockRequests[index]!), `request of seed ${index + 1}`).toBe(true)
    }
    expect(
      varLongs.map((value) => [
        Encoder.sizeOfVarLong(value),
        new Encoder().writeVarLong(value).buffer.toString('hex'),
      ]),
    ).toEqual(stockVarLongs)
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

  it('is applied once however often it is called', () => {
    patchKafkajs(silentLogger)
    const writeUVarInt = Encoder.prototype.writeUVarInt
    patchKafkajs(silentLogger)
    expect(Encoder.prototype.writeUVarInt).toBe(writeUVarInt)
    expect(new Encoder().writeUVarInt(300).buffer.toString('hex')).toBe('ac02')
  })
})
