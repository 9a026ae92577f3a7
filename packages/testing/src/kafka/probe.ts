import { Kafka, logLevel } from 'kafkajs'

/** Ready means a client can fetch cluster metadata from the broker. */
export async function brokerAnswers(brokers: string[]): Promise<boolean> {
  const admin = new Kafka({
    brokers,
    logLevel: logLevel.NOTHING,
    connectionTimeout: 1000,
    retry: { retries: 0 },
  }).admin()
  try {
    await admin.connect()
    const cluster = await admin.describeCluster()
    return cluster.brokers.length > 0
  } finally {
    await admin.disconnect()
  }
}
