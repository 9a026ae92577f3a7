import { waitFor } from '@factlib/testing'
import { Kafka, logLevel } from 'kafkajs'
import { type ReadRecord, readRecord } from './kafka-reader.js'

/** A record as the collector saw it, with when it arrived here (Date.now()). */
export interface CollectedRecord extends ReadRecord {
  arrivedAt: number
}

export interface RecordCollector {
  readonly records: readonly CollectedRecord[]
  /** Resolves with the first record that matches, waiting for it up to `timeoutMs`. */
  waitForRecord(
    what: string,
    match: (record: CollectedRecord) => boolean,
    timeoutMs?: number,
  ): Promise<CollectedRecord>
  stop(): Promise<void>
}

/**
 * One consumer (read_committed) that keeps reading existing topics from their start for the whole
 * test, so a test can wait for many records without a consumer group join per wait, and can time
 * when each arrived.
 */
export async function collectRecords(brokers: string[], topics: string[]): Promise<RecordCollector> {
  const kafka = new Kafka({ brokers, logLevel: logLevel.NOTHING, clientId: 'e2e-collector' })
  const consumer = kafka.consumer({
    groupId: `e2e-collector-${Math.random().toString(36).slice(2)}`,
    maxWaitTimeInMs: 100,
  })
  const records: CollectedRecord[] = []
  await consumer.connect()
  await consumer.subscribe({ topics, fromBeginning: true })
  await consumer.run({
    eachMessage: async ({ topic, partition, message }) => {
      records.push({ ...readRecord(topic, partition, message), arrivedAt: Date.now() })
    },
  })
  return {
    records,
    async waitForRecord(what, match, timeoutMs = 60_000) {
      let found: CollectedRecord | undefined
      await waitFor(
        what,
        async () => {
          found = records.find(match)
          return found !== undefined
        },
        timeoutMs,
      )
      return found!
    },
    stop: () => consumer.disconnect(),
  }
}
