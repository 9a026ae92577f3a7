import { Kafka, logLevel } from 'kafkajs'

export interface ReadRecord {
  topic: string
  partition: number
  offset: string
  key: string | null
  value: Buffer
  headers: Record<string, string>
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
): Promise<ReadRecord[]> {
  const kafka = new Kafka({ brokers, logLevel: logLevel.NOTHING, clientId: 'e2e-reader' })
  const records: ReadRecord[] = []
  const consumer = kafka.consumer({ groupId: `e2e-${Math.random().toString(36).slice(2)}`, maxWaitTimeInMs: 200 })
  await consumer.connect()
  try {
    // Subscribing creates a missing topic (broker auto-create), so a topic owlpost has not
    // written yet is still read once it has.
    await consumer.subscribe({ topics, fromBeginning: true })
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => resolve(), timeoutMs)
      consumer
        .run({
          eachMessage: async ({ topic, partition, message }) => {
            records.push({
              topic,
              partition,
              offset: message.offset,
              key: message.key ? message.key.toString('utf8') : null,
              value: message.value ?? Buffer.alloc(0),
              headers: Object.fromEntries(
                Object.entries(message.headers ?? {}).map(([name, value]) => [name, String(value ?? '')]),
              ),
            })
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
