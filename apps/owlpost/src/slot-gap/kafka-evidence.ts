import { randomUUID } from 'node:crypto'
import { parseLsn } from '@factlib/wal'
import type { Consumer, Kafka } from 'kafkajs'
import type { Logger } from 'pino'

/** A position owlpost relayed to, and where that is written down. */
export interface RelayedPosition {
  lsn: bigint
  /** Where the evidence is, for the operator: a topic, partition and offset, or this process. */
  source: string
}

/** The exactly-once checkpoint topic of a prefix: key the slot name, value the end LSN as `X/Y`. */
export const checkpointTopic = (prefix: string) => `${prefix}.owlpost-checkpoints`

/** Records read from the end of each fact partition: the newest LSN header is among the last few. */
const tailRecords = 20
/** Reading stops when every partition is read to its end, or nothing has come for this long. */
const idleMs = 3_000
const deadlineMs = 30_000

function later(a: RelayedPosition | undefined, b: RelayedPosition): RelayedPosition {
  return a && a.lsn >= b.lsn ? a : b
}

function lsnOf(text: string | undefined): bigint | undefined {
  if (!text) return undefined
  try {
    return parseLsn(text.trim())
  } catch {
    return undefined
  }
}

/**
 * The furthest position an earlier run of owlpost relayed from `slot`, as Kafka tells it: the
 * slot's exactly-once checkpoint (read_committed, the last record for the key wins) and the
 * newest `LSN` header at the end of the prefixes' fact topics (`<prefix>.<aggregateType>`).
 * Undefined when Kafka holds neither, as on a first run.
 */
export async function readRelayedPosition(
  kafka: Kafka,
  names: { prefixes: readonly string[]; slot: string; checkpointTopic?: string | undefined },
  logger: Logger,
): Promise<RelayedPosition | undefined> {
  const admin = kafka.admin()
  await admin.connect()
  const starts: Array<{ topic: string; partition: number; offset: string; end: bigint }> = []
  const checkpoints = new Set(names.prefixes.map(checkpointTopic))
  // EOS_CHECKPOINT_TOPIC may name another one.
  if (names.checkpointTopic) checkpoints.add(names.checkpointTopic)
  try {
    const topics = await admin.listTopics()
    const relevant = topics.filter(
      (topic) => checkpoints.has(topic) || names.prefixes.some((prefix) => topic.startsWith(`${prefix}.`)),
    )
    for (const topic of relevant) {
      for (const partition of await admin.fetchTopicOffsets(topic)) {
        const low = BigInt(partition.low)
        const high = BigInt(partition.high)
        if (high <= low) continue
        // A compacted checkpoint topic is read whole; fact topics only at their end.
        const from = checkpoints.has(topic) || high - low <= tailRecords ? low : high - BigInt(tailRecords)
        starts.push({ topic, partition: partition.partition, offset: from.toString(), end: high })
      }
    }
  } finally {
    await admin.disconnect()
  }
  if (starts.length === 0) return undefined
  return readPartitions(kafka, names.slot, checkpoints, starts, logger)
}

async function readPartitions(
  kafka: Kafka,
  slot: string,
  checkpoints: ReadonlySet<string>,
  starts: Array<{ topic: string; partition: number; offset: string; end: bigint }>,
  logger: Logger,
): Promise<RelayedPosition | undefined> {
  const groupId = `owlpost-slot-gap-${randomUUID()}`
  // read_committed: a checkpoint of an aborted Kafka transaction is no evidence.
  const consumer = kafka.consumer({ groupId, readUncommitted: false, allowAutoTopicCreation: false })
  const unread = new Set(starts.map((start) => `${start.topic}/${start.partition}`))
  const ends = new Map(starts.map((start) => [`${start.topic}/${start.partition}`, start.end]))
  let checkpoint: RelayedPosition | undefined
  let header: RelayedPosition | undefined
  let lastProgress = 0
  let read = 0
  // Seeking is possible once the group is joined: then start each partition where it should.
  consumer.on(consumer.events.GROUP_JOIN, () => {
    for (const start of starts) {
      consumer.seek({ topic: start.topic, partition: start.partition, offset: start.offset })
    }
    lastProgress = Date.now()
  })
  await consumer.connect()
  try {
    await consumer.subscribe({
      topics: [...new Set(starts.map((start) => start.topic))],
      fromBeginning: true,
    })
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ topic, partition, message }) => {
        lastProgress = Date.now()
        read++
        const where = `${topic} partition ${partition} offset ${message.offset}`
        if (checkpoints.has(topic)) {
          if (message.key?.toString('utf8') === slot) {
            const lsn = lsnOf(message.value?.toString('utf8'))
            // The last record for the key wins, as compaction keeps it.
            if (lsn !== undefined) checkpoint = { lsn, source: `exactly-once checkpoint in ${where}` }
          }
        } else {
          const lsn = lsnOf(message.headers?.LSN?.toString())
          if (lsn !== undefined) header = later(header, { lsn, source: `LSN header of ${where}` })
        }
        if (BigInt(message.offset) + 1n >= (ends.get(`${topic}/${partition}`) ?? 0n)) {
          unread.delete(`${topic}/${partition}`)
        }
      },
    })
    const began = Date.now()
    await seekWhenRunning(consumer, starts, began + deadlineMs)
    // Transaction markers take the last offsets of transactional topics, so an end is not always
    // seen as a record: silence for a while after the group was joined counts as the end too.
    while (unread.size > 0 && Date.now() - began < deadlineMs) {
      if (lastProgress > 0 && Date.now() - lastProgress > idleMs) break
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    if (unread.size > 0 && read === 0) {
      // Not knowing is no licence to create the slot: the caller retries.
      throw new Error(
        `could not read ${starts.length} Kafka partitions to look for an earlier run of slot "${slot}" within ${deadlineMs} ms`,
      )
    }
    if (unread.size > 0)
      logger.debug({ unread: [...unread] }, 'slot gap check: partitions not read to the end')
  } finally {
    await consumer.disconnect().catch(() => undefined)
    const admin = kafka.admin()
    await admin
      .connect()
      .then(() => admin.deleteGroups([groupId]))
      .catch(() => undefined)
      .finally(() => admin.disconnect())
  }
  if (checkpoint && header) return later(checkpoint, header)
  return checkpoint ?? header
}

/**
 * Seeks each partition to its start. kafkajs refuses seek() while its consumer group is being
 * (re)created, as after a crash on a loaded machine; it is asked again until the deadline. A seek
 * that never happens only costs reading from the beginning.
 */
async function seekWhenRunning(
  consumer: Consumer,
  starts: readonly { topic: string; partition: number; offset: string }[],
  deadline: number,
): Promise<void> {
  for (;;) {
    try {
      for (const start of starts)
        consumer.seek({ topic: start.topic, partition: start.partition, offset: start.offset })
      return
    } catch (error) {
      if (Date.now() > deadline) throw error
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  }
}
