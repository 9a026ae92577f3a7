import { createRequire } from 'node:module'
import { describe, expect, it, vi } from 'vitest'
import type { OutgoingRecord } from '../producer-client.js'
import { keyHashFirst } from './key-hash-partitioner.js'
import { kafkajs } from './patches.js'
import { prepareRecord } from './prepared-record.js'

const require = createRequire(import.meta.url)
// The corrected module: patches.js (imported above) put the one-pass encoder in its place.
const produceRequest = require('kafkajs/src/protocol/requests/produce/v3/request.js') as (
  options: Record<string, unknown>,
) => { encode(): Promise<{ buffer: Buffer }> }

/** Deterministic records (a linear congruential generator), so a failure can be replayed. */
function randomRecords(seed: number, count: number): OutgoingRecord[] {
  let state = seed
  const int = (below: number) => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0
    return state % below
  }
  const text = (length: number) =>
    Array.from({ length }, () => ['a', 'Z', '7', '-', 'é', '€', '𝄞'][int(7)]).join('')
  return Array.from({ length: count }, () => {
    const headers: Record<string, string> = {}
    for (let h = int(6); h > 0; h--) headers[text(1 + int(12))] = text(int(40))
    return {
      topic: 'factlib.order',
      key: int(5) === 0 ? null : Buffer.from(text(int(40)), 'utf8'),
      value: Buffer.from(Array.from({ length: int(400) }, () => int(256))),
      headers,
    }
  })
}

/** A request of the records over three partitions, as kafkajs hands it to the encoder. */
function requestOf(records: readonly OutgoingRecord[]): Record<string, unknown> {
  return {
    acks: -1,
    timeout: 30_000,
    producerId: 4242,
    producerEpoch: 3,
    compression: 0,
    topicData: [
      {
        topic: 'factlib.order',
        partitions: [0, 1, 2].map((partition) => ({
          partition,
          firstSequence: 100 * partition,
          messages: records.filter((_, index) => index % 3 === partition),
        })),
      },
    ],
  }
}

describe('prepared records', () => {
  it('are written into a produce request as the records they were prepared from', async () => {
    const clock = vi.spyOn(Date, 'now').mockReturnValue(1_700_000_000_000)
    try {
      for (let seed = 1; seed <= 20; seed++) {
        const records = randomRecords(seed, 1 + seed * 7)
        const prepared = records.map(prepareRecord)
        expect(prepared.every((record, index) => record !== records[index])).toBe(true)
        const plainBytes = (await produceRequest(requestOf(records)).encode()).buffer
        const preparedBytes = (await produceRequest(requestOf(prepared)).encode()).buffer
        expect(Buffer.compare(plainBytes, preparedBytes), `seed ${seed}`).toBe(0)
      }
    } finally {
      clock.mockRestore()
    }
  })

  it('are never left to kafkajs, which would write their empty fields', async () => {
    const [record] = randomRecords(7, 1)
    const withTimestamp = { ...randomRecords(8, 1)[0]!, timestamp: '1700000000000' }
    const request = requestOf([prepareRecord(record!), withTimestamp, withTimestamp])
    await expect(produceRequest(request).encode()).rejects.toThrow(/prepared records/)
    // The same request unprepared goes to kafkajs's own encoder, as before.
    await expect(
      produceRequest(requestOf([record!, withTimestamp, withTimestamp])).encode(),
    ).resolves.toBeDefined()
  })

  it("keep only topic and partition readable, and go to the DefaultPartitioner's partition of their key", () => {
    const reference = kafkajs.Partitioners.DefaultPartitioner()
    const partitioner = keyHashFirst(kafkajs.Partitioners.DefaultPartitioner)()
    const records = randomRecords(99, 300).map((record, index) =>
      index % 50 === 0 ? { ...record, key: null, partition: index % 4 } : record,
    )
    for (const record of records) {
      const prepared = prepareRecord(record)
      expect(prepared.topic).toBe(record.topic)
      expect(prepared.partition).toBe(record.partition)
      expect([prepared.key, prepared.value, Object.keys(prepared.headers)]).toEqual([null, null, []])
      if (record.key === null) continue
      for (const partitions of [1, 3, 6, 7, 64]) {
        const partitionMetadata = Array.from({ length: partitions }, (_, partitionId) => ({
          partitionId,
          leader: 1,
          partitionErrorCode: 0,
          replicas: [],
          isr: [],
        }))
        const args = { topic: record.topic, partitionMetadata }
        expect(partitioner({ ...args, message: prepared as never })).toBe(
          reference({ ...args, message: record as never }),
        )
      }
    }
  })
})
