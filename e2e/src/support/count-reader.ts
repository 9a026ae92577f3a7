import { Kafka, logLevel } from 'kafkajs'

export interface FactCounts {
  /** Records read. */
  records: number
  /** Distinct facts among them. */
  distinct: number
  /** Records of facts already read. */
  duplicates: number
  /** The first few facts read more than once, by number. */
  repeated: number[]
  /** Records whose event id is not one of the expected facts. */
  strangers: number
}

/**
 * Counts the facts `<idPrefix><n>` (0 <= n < expected) in a topic, read from its start with
 * read_committed, until every one has been seen and `settleMs` more passed with nothing new (a late
 * duplicate would show), or the timeout. Made for millions of records: one flag per fact, batches
 * decoded by kafkajs and only the event id header looked at.
 */
export async function countFacts(
  brokers: string[],
  topic: string,
  idPrefix: string,
  expected: number,
  timeoutMs: number,
  settleMs = 3_000,
): Promise<FactCounts> {
  const kafka = new Kafka({ brokers, logLevel: logLevel.NOTHING, clientId: 'e2e-counter' })
  const seen = new Uint8Array(expected)
  const counts: FactCounts = { records: 0, distinct: 0, duplicates: 0, repeated: [], strangers: 0 }
  const consumer = kafka.consumer({
    groupId: `e2e-count-${Math.random().toString(36).slice(2)}`,
    readUncommitted: false,
    maxWaitTimeInMs: 200,
    maxBytes: 64 * 1024 * 1024,
    maxBytesPerPartition: 16 * 1024 * 1024,
  })
  const deadline = Date.now() + timeoutMs
  // owlpost creates the topic with its first fact; kafkajs cannot subscribe to one not there yet.
  const admin = kafka.admin()
  await admin.connect()
  try {
    while (!(await admin.listTopics()).includes(topic)) {
      if (Date.now() >= deadline) return counts
      await new Promise((resolve) => setTimeout(resolve, 200))
    }
  } finally {
    await admin.disconnect()
  }
  await consumer.connect()
  let lastNews = Date.now()
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true })
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        for (const message of batch.messages) {
          counts.records++
          lastNews = Date.now()
          const id = message.headers?.event_id?.toString() ?? ''
          const n = id.startsWith(idPrefix) ? Number(id.slice(idPrefix.length)) : Number.NaN
          if (!Number.isInteger(n) || n < 0 || n >= expected) {
            counts.strangers++
            continue
          }
          if (seen[n] === 0) {
            seen[n] = 1
            counts.distinct++
          } else {
            counts.duplicates++
            if (counts.repeated.length < 20) counts.repeated.push(n)
          }
        }
      },
    })
    while (Date.now() < deadline) {
      if (counts.distinct === expected && Date.now() - lastNews >= settleMs) break
      await new Promise((resolve) => setTimeout(resolve, 200))
    }
  } finally {
    await consumer.disconnect()
  }
  return counts
}
