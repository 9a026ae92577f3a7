import type { Message, PartitionerArgs, RecordMetadata } from 'kafkajs'
import { describe, expect, it } from 'vitest'
import { UnsentPartitions } from './unsent-partitions.js'

const byKey = () => (args: PartitionerArgs) => Number(args.message.key)
const answer = (topicName: string, partition: number): RecordMetadata => ({
  topicName,
  partition,
  errorCode: 0,
})

describe('partitions kafkajs left unsent', () => {
  it('returns, in order, the messages of partitions no broker answered for', () => {
    const tracker = new UnsentPartitions(byKey)
    const partitioner = tracker.createPartitioner()
    const messages: Message[] = ['0', '1', '2', '1', '0', '1'].map((key, i) => ({ key, value: `v${i}` }))
    const other: Message[] = [{ key: '1', value: 'other' }]
    for (const message of messages) partitioner({ topic: 'a', partitionMetadata: [], message })
    for (const message of other) partitioner({ topic: 'b', partitionMetadata: [], message })
    const sent = [
      { topic: 'a', messages },
      { topic: 'b', messages: other },
    ]
    // As after a leader change: partition 1 of 'a' moved to the broker that had answered for 0.
    const unsent = tracker.unsent(sent, [answer('a', 0), answer('a', 2), answer('b', 1)])
    expect(unsent).toEqual([{ topic: 'a', messages: [messages[1], messages[3], messages[5]] }])
  })

  it('returns nothing when every partition was answered', () => {
    const tracker = new UnsentPartitions(byKey)
    const partitioner = tracker.createPartitioner()
    const messages: Message[] = [{ key: '0', value: 'x' }]
    partitioner({ topic: 'a', partitionMetadata: [], message: messages[0]! })
    expect(tracker.unsent([{ topic: 'a', messages }], [answer('a', 0)])).toEqual([])
  })
})
