import type { ICustomPartitioner, Message, RecordMetadata, TopicMessages } from 'kafkajs'

/** Where the partitioner put a message, kept on the message (kafkajs ignores other fields). */
const chosenPartition = Symbol('chosenPartition')
type PartitionedMessage = Message & { [chosenPartition]?: number }

/**
 * kafkajs 2.2.4 can resolve sendBatch() with some partitions never sent. Its retry after a failed
 * broker request (NOT_LEADER_OR_FOLLOWER while a leader moves, a broker going away) re-sends only
 * to brokers that have no answer yet; when a failed partition's new leader is a broker that already
 * answered for other partitions, the failed partition is dropped and the batch still succeeds.
 * That is silent loss on every leader change (found by the three-broker cluster tests).
 *
 * This wraps the partitioner to learn where each message went, so the messages of partitions the
 * answers do not cover can be sent again. Their sequence numbers were rolled back by kafkajs when
 * their request failed, so re-sending them with the same producer neither duplicates nor reorders.
 */
export class UnsentPartitions {
  constructor(private readonly inner: ICustomPartitioner) {}

  /** The partitioner to give kafkajs: the inner one, remembering each message's partition. */
  readonly createPartitioner: ICustomPartitioner = () => {
    const partition = this.inner()
    return (args) => {
      const chosen = partition(args)
      // On the message itself: a WeakMap entry per record was measurable garbage while draining.
      ;(args.message as PartitionedMessage)[chosenPartition] = chosen
      return chosen
    }
  }

  /** The messages of `sent` whose partition has no answer in `answers`, grouped as sent. */
  unsent(sent: readonly TopicMessages[], answers: readonly RecordMetadata[]): TopicMessages[] {
    const answered = new Map<string, Set<number>>()
    for (const { topicName, partition } of answers) {
      let partitions = answered.get(topicName)
      if (!partitions) {
        partitions = new Set()
        answered.set(topicName, partitions)
      }
      partitions.add(partition)
    }
    const missing: TopicMessages[] = []
    for (const { topic, messages } of sent) {
      const partitions = answered.get(topic)
      let left: Message[] | undefined
      for (const message of messages) {
        const partition = (message as PartitionedMessage)[chosenPartition]
        // A message the partitioner never saw was never grouped, so never sent either.
        if (partition !== undefined && partitions?.has(partition)) continue
        if (left) left.push(message)
        else left = [message]
      }
      if (left) missing.push({ topic, messages: left })
    }
    return missing
  }
}
