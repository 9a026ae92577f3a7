import { Kafka, logLevel } from 'kafkajs'

/** The broker ids a metadata request through `brokers` lists as registered and unfenced. */
export async function registeredBrokers(brokers: string[]): Promise<number[]> {
  const admin = new Kafka({
    brokers,
    logLevel: logLevel.NOTHING,
    connectionTimeout: 1000,
    retry: { retries: 0 },
  }).admin()
  try {
    await admin.connect()
    return (await admin.describeCluster()).brokers.map((entry) => entry.nodeId)
  } finally {
    await admin.disconnect()
  }
}

/** Ready means a client can fetch cluster metadata from the broker. */
export async function brokerAnswers(brokers: string[]): Promise<boolean> {
  return (await registeredBrokers(brokers)).length > 0
}
