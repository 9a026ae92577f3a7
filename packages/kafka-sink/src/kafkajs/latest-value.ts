/// <reference types="node" preserve="true" />
import { randomUUID } from 'node:crypto'
import type { Admin, Kafka } from 'kafkajs'

/**
 * The last committed value of `key` in `topic`, read with read_committed: what a transaction
 * aborted or still open wrote is never seen. Reads every partition from the start up to its
 * last stable offset, so it is meant for small compacted topics (a checkpoint topic). Undefined
 * when the topic holds no record with that key.
 */
export async function readLatestCommitted(
  kafka: Kafka,
  admin: Admin,
  topic: string,
  key: string,
  timeoutMs: number,
): Promise<Buffer | undefined> {
  // ListOffsets is read_committed by default: the latest offset is the last stable offset.
  const offsets = await admin.fetchTopicOffsets(topic)
  const remaining = new Map<number, bigint>()
  for (const { partition, offset, low } of offsets) {
    if (BigInt(offset) > BigInt(low)) remaining.set(partition, BigInt(offset))
  }
  if (remaining.size === 0) return undefined
  // A group of its own that commits nothing: nothing is left behind but an empty group.
  const consumer = kafka.consumer({
    groupId: `factlib-read-${randomUUID()}`,
    readUncommitted: false,
    maxWaitTimeInMs: 100,
    retry: { retries: 5 },
  })
  let latest: Buffer | undefined
  try {
    await consumer.connect()
    await consumer.subscribe({ topic, fromBeginning: true })
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`reading '${topic}' did not reach its end within ${timeoutMs} ms`)),
        timeoutMs,
      )
      // Emitted for every batch, also one that held only transaction markers or aborted records
      // (eachBatch does not see those): the way to know the end was reached.
      consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
        const end = remaining.get(payload.partition)
        if (end !== undefined && BigInt(payload.lastOffset) + 1n >= end) remaining.delete(payload.partition)
        if (remaining.size === 0) {
          clearTimeout(timer)
          resolve()
        }
      })
      consumer.on(consumer.events.CRASH, ({ payload }) => {
        clearTimeout(timer)
        reject(payload.error)
      })
      consumer
        .run({
          autoCommit: false,
          eachBatch: async ({ batch }) => {
            for (const message of batch.messages) {
              if (message.key?.toString('utf8') === key) latest = message.value ?? undefined
            }
          },
        })
        .catch(reject)
    })
  } finally {
    await consumer.disconnect().catch(() => {})
  }
  return latest
}
