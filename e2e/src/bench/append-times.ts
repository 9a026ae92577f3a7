import kafkajs from 'kafkajs'

/**
 * Kafka's append time of every record on the topics, by its event_id header. The topics are
 * created with message.timestamp.type=LogAppendTime, so a record's timestamp is the moment the
 * broker appended it (milliseconds), which is when the producer's acks=-1 request could be answered.
 */
export async function readAppendTimes(options: {
  brokers: string[]
  topics: string[]
  expected: number
  timeoutMs: number
}): Promise<Map<string, number>> {
  const appendTimes = new Map<string, number>()
  const kafka = new kafkajs.Kafka({
    brokers: options.brokers,
    clientId: 'bench-append-times',
    logLevel: kafkajs.logLevel.NOTHING,
  })
  const consumer = kafka.consumer({ groupId: `bench-${process.pid}-${Date.now()}`, maxWaitTimeInMs: 200 })
  await consumer.connect()
  try {
    await consumer.subscribe({ topics: options.topics, fromBeginning: true })
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(resolve, options.timeoutMs)
      consumer
        .run({
          eachBatchAutoResolve: true,
          eachBatch: async ({ batch }) => {
            for (const message of batch.messages) {
              const id = message.headers?.event_id
              if (id !== undefined) appendTimes.set(String(id), Number(message.timestamp))
            }
            if (appendTimes.size >= options.expected) {
              clearTimeout(timer)
              resolve()
            }
          },
        })
        .catch(reject)
    })
  } finally {
    await consumer.disconnect()
  }
  return appendTimes
}
