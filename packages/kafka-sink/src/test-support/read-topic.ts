import { randomUUID } from 'node:crypto'
import kafkajs from 'kafkajs'

const { Kafka, logLevel } = kafkajs

export interface ReadRecord {
  partition: number
  offset: string
  key: string | null
  value: Buffer | null
  headers: Record<string, string>
}

/**
 * Reads a topic from the beginning until `until` records arrived (or `until(records)` holds) or
 * `timeoutMs` passed.
 */
export async function readTopic(
  brokers: string[],
  topic: string,
  until: number | ((records: ReadRecord[]) => boolean),
  timeoutMs = 30_000,
): Promise<ReadRecord[]> {
  const enough = typeof until === 'number' ? (records: ReadRecord[]) => records.length >= until : until
  const kafka = new Kafka({ brokers, clientId: 'kafka-sink-test-reader', logLevel: logLevel.NOTHING })
  const consumer = kafka.consumer({ groupId: `reader-${randomUUID()}`, maxWaitTimeInMs: 200 })
  const records: ReadRecord[] = []
  await consumer.connect()
  try {
    await consumer.subscribe({ topic, fromBeginning: true })
    let done: () => void = () => {}
    const finished = new Promise<void>((resolve) => {
      done = resolve
    })
    await consumer.run({
      eachBatch: async ({ batch }) => {
        for (const message of batch.messages) {
          const headers: Record<string, string> = {}
          for (const [name, value] of Object.entries(message.headers ?? {})) {
            headers[name] = Buffer.isBuffer(value) ? value.toString('utf8') : String(value)
          }
          records.push({
            partition: batch.partition,
            offset: message.offset,
            key: message.key ? message.key.toString('utf8') : null,
            value: message.value,
            headers,
          })
        }
        if (enough(records)) done()
      },
    })
    const timer = setTimeout(done, timeoutMs)
    await finished
    clearTimeout(timer)
  } finally {
    await consumer.disconnect()
  }
  return records.sort((a, b) => a.partition - b.partition || Number(BigInt(a.offset) - BigInt(b.offset)))
}
