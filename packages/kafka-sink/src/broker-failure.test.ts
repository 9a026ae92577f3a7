import { setTimeout as sleep } from 'node:timers/promises'
import { type KafkaService, startKafka, uniqueName, waitFor } from '@factlib/testing'
import { formatLsn } from '@factlib/wal'
import kafkajs from 'kafkajs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TopicMissingError } from './errors.js'
import { createKafkaSink } from './index.js'
import type { SinkTransaction } from './sink-types.js'
import { readTopic } from './test-support/read-topic.js'
import { sampleFact } from './test-support/sample-facts.js'

// A broker of these tests' own: they stop it, and it does not create topics on its own.
let kafka: KafkaService

beforeAll(async () => {
  kafka = await startKafka({ dedicated: true, settings: { 'auto.create.topics.enable': 'false' } })
}, 120_000)

afterAll(async () => {
  await kafka?.dispose()
})

describe('kafka sink when the broker misbehaves', () => {
  it('names a missing topic while neither the sink nor the broker creates it, then delivers once it exists', async () => {
    const prefix = uniqueName('missing')
    const topic = `${prefix}.order`
    const errors: Error[] = []
    const sink = createKafkaSink({
      brokers: kafka.brokers,
      hooks: { healthChanged: (healthy, error) => !healthy && error && errors.push(error) },
    })
    await sink.connect()
    const { fact } = sampleFact({ prefix, lsn: 0x100n, key: 'a' })
    await sink.send({ endLsn: 0x110n, facts: [fact] })
    await waitFor('the missing topic reported', async () => errors.length > 0, 30_000)
    expect(errors[0]).toBeInstanceOf(TopicMissingError)
    expect((errors[0] as TopicMissingError).topics).toEqual([topic])
    expect(sink.healthy).toBe(false)
    expect(sink.deliveredLsn).toBe(0n)

    const admin = new kafkajs.Kafka({ brokers: kafka.brokers, logLevel: kafkajs.logLevel.NOTHING }).admin()
    await admin.connect()
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 1 }] })
    await admin.disconnect()
    expect(await sink.drain(30_000)).toBe(true)
    expect(sink.deliveredLsn).toBe(0x110n)
    expect(sink.healthy).toBe(true)
    await sink.close()
  })

  it('loses nothing and keeps per-key order when the broker stops for 10 s mid-stream; deliveredLsn stalls, then catches up', async () => {
    const prefix = uniqueName('outage')
    const txs: SinkTransaction[] = []
    const expected = new Set<string>()
    let lsn = 0x5000000n
    for (let t = 0; t < 300; t++) {
      const facts = []
      for (let i = 0; i < 5; i++) {
        lsn += 0x40n
        facts.push(sampleFact({ prefix, lsn, key: `k${(t * 5 + i) % 40}` }).fact)
        expected.add(formatLsn(lsn))
      }
      lsn += 0x20n
      txs.push({ endLsn: lsn, facts })
    }
    const health: boolean[] = []
    const sink = createKafkaSink({
      brokers: kafka.brokers,
      createTopics: { partitions: 3, replicationFactor: 1 },
      hooks: { healthChanged: (healthy) => health.push(healthy) },
    })
    await sink.connect()
    const feeding = (async () => {
      for (const tx of txs) {
        await sink.send(tx)
        await sleep(10)
      }
    })()
    await waitFor('first deliveries', async () => sink.deliveredLsn > 0n, 30_000)
    await sleep(300)
    await kafka.stop()
    await sleep(1_000)
    const stalledAt = sink.deliveredLsn
    expect(stalledAt).toBeLessThan(txs.at(-1)!.endLsn)
    await sleep(9_000)
    expect(sink.deliveredLsn).toBe(stalledAt)
    expect(sink.healthy).toBe(false)
    await kafka.start()
    await feeding
    expect(await sink.drain(60_000)).toBe(true)
    expect(sink.deliveredLsn).toBe(txs.at(-1)!.endLsn)
    expect(sink.healthy).toBe(true)
    expect(health).toEqual([true, false, true])
    await sink.close()

    const records = await readTopic(kafka.brokers, `${prefix}.order`, (read) => {
      const seen = new Set(read.map((record) => record.headers.LSN))
      return [...expected].every((text) => seen.has(text))
    })
    const seen = new Set(records.map((record) => record.headers.LSN))
    expect([...expected].filter((text) => !seen.has(text))).toEqual([])
    // Per key, the first time each fact appears follows WAL order across the outage and retries.
    const firstSeen = new Map<string, string[]>()
    const order = [...expected]
    for (const record of records) {
      const list = firstSeen.get(record.key!) ?? []
      if (!list.includes(record.headers.LSN!)) list.push(record.headers.LSN!)
      firstSeen.set(record.key!, list)
    }
    for (const list of firstSeen.values()) {
      const positions = list.map((text) => order.indexOf(text))
      expect(positions).toEqual([...positions].sort((a, b) => a - b))
    }
  })
})
