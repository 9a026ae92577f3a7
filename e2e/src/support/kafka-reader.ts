import { Kafka, type KafkaMessage, logLevel } from 'kafkajs'

export interface ReadRecord {
  topic: string
  partition: number
  offset: string
  key: string | null
  value: Buffer
  headers: Record<string, string>
  /** The record's timestamp (ms since the epoch), as the broker stored it. */
  timestamp: number
}

/** A consumed message as tests read it: key and header values as text. */
export function readRecord(topic: string, partition: number, message: KafkaMessage): ReadRecord {
  return {
    topic,
    partition,
    offset: message.offset,
    key: message.key ? message.key.toString('utf8') : null,
    value: message.value ?? Buffer.alloc(0),
    headers: Object.fromEntries(
      Object.entries(message.headers ?? {}).map(([name, value]) => [name, String(value ?? '')]),
    ),
    timestamp: Number(message.timestamp),
  }
}

/**
 * Reads topics from the beginning until `done` says enough (or the timeout passes) and
 * returns what it saw, in partition order per partition.
 */
export async function readTopics(
  brokers: string[],
  topics: string[],
  done: (records: ReadRecord[]) => boolean,
  timeoutMs = 60_000,
  /** Read what open and aborted Kafka transactions wrote too. Default false: read_committed. */
  readUncommitted = false,
): Promise<ReadRecord[]> {
  const kafka = new Kafka({ brokers, logLevel: logLevel.NOTHING, clientId: 'e2e-reader' })
  const records: ReadRecord[] = []
  const deadline = Date.now() + timeoutMs
  const present = await waitForTopics(kafka, topics, deadline)
  if (present.length === 0) return records
  const consumer = kafka.consumer({
    groupId: `e2e-${Math.random().toString(36).slice(2)}`,
    maxWaitTimeInMs: 200,
    readUncommitted,
  })
  await consumer.connect()
  try {
    await consumer.subscribe({ topics: present, fromBeginning: true })
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => resolve(), Math.max(0, deadline - Date.now()))
      consumer
        .run({
          eachMessage: async ({ topic, partition, message }) => {
            records.push(readRecord(topic, partition, message))
            if (done(records)) {
              clearTimeout(timer)
              resolve()
            }
          },
        })
        .catch(reject)
      if (done(records)) {
        clearTimeout(timer)
        resolve()
      }
    })
  } finally {
    await consumer.disconnect()
  }
  return records
}

/**
 * Subscribing to a topic that does not exist yet fails in kafkajs, and owlpost creates topics
 * as facts arrive, so wait until every topic exists (or the deadline passes) and read those.
 */
async function waitForTopics(kafka: Kafka, topics: string[], deadline: number): Promise<string[]> {
  const admin = kafka.admin()
  await admin.connect()
  try {
    for (;;) {
      const existing = new Set(await admin.listTopics())
      const present = topics.filter((topic) => existing.has(topic))
      if (present.length === topics.length || Date.now() >= deadline) return present
      await new Promise((resolve) => setTimeout(resolve, 200))
    }
  } finally {
    await admin.disconnect()
  }
}
