import { describe, expect, it } from 'vitest'
import { keyHashFirst } from './key-hash-partitioner.js'
import { kafkajs } from './patches.js'

describe('keyHashFirst', () => {
  it("chooses the DefaultPartitioner's partition for every keyed or pinned record", () => {
    const reference = kafkajs.Partitioners.DefaultPartitioner()
    const ours = keyHashFirst(kafkajs.Partitioners.DefaultPartitioner)()
    let checked = 0
    for (const partitions of [1, 2, 3, 6, 7, 32, 100]) {
      // Some partitions without a leader: the DefaultPartitioner ignores that for keyed records.
      const partitionMetadata = Array.from({ length: partitions }, (_, partitionId) => ({
        partitionId,
        leader: partitionId % 3 === 2 ? -1 : 1,
        partitionErrorCode: 0,
        replicas: [],
        isr: [],
      }))
      for (let index = 0; index < 500; index++) {
        const key = Buffer.from(`aggregate-${index}-${'é'.repeat(index % 7)}`, 'utf8')
        const message =
          index % 50 === 0 ? { key, value: null, partition: index % partitions } : { key, value: null }
        const args = { topic: 'shop.order', partitionMetadata, message }
        expect(ours(args)).toBe(reference(args))
        checked++
      }
    }
    expect(checked).toBe(3500)
  })

  it('leaves a record without a key to the DefaultPartitioner', () => {
    const seen: unknown[] = []
    const inner = () => (args: { message: unknown }) => {
      seen.push(args.message)
      return 4
    }
    const partitionMetadata = [{ partitionId: 0, leader: 1, partitionErrorCode: 0, replicas: [], isr: [] }]
    const message = { key: null, value: null }
    expect(keyHashFirst(inner)()({ topic: 't', partitionMetadata, message })).toBe(4)
    expect(seen).toEqual([message])
  })
})
