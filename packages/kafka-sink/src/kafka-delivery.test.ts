import { createHash } from 'node:crypto'
import { factHeaders, readEnvelopeHeader } from '@factlib/core'
import { startKafka, uniqueName } from '@factlib/testing'
import { formatLsn } from '@factlib/wal'
import kafkajs from 'kafkajs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DeadLetterHeaderName } from './fact-router.js'
import { createKafkaSink } from './index.js'
import { createKafkajsClient } from './kafkajs/client.js'
import { silentLogger } from './logger.js'
import type { SinkTransaction } from './sink-types.js'
import { readTopic } from './test-support/read-topic.js'
import { sampleFact } from './test-support/sample-facts.js'

const warnings: Error[] = []
const onWarning = (warning: Error) => warnings.push(warning)
let brokers: string[]

beforeAll(async () => {
  process.on('warning', onWarning)
  brokers = (await startKafka()).brokers
})

afterAll(() => {
  process.off('warning', onWarning)
})

/** `count` facts over `keys` keys, in transactions of 1 to 8 facts, with increasing LSNs. */
function transactions(prefix: string, count: number, keys: number, payloadBytes = 40) {
  const txs: SinkTransaction[] = []
  const expected = new Map<string, { key: string; value: Uint8Array; lsn: bigint }>()
  let lsn = 0x3000000n
  let made = 0
  while (made < count) {
    const size = Math.min(1 + (made % 8), count - made)
    const facts = []
    for (let i = 0; i < size; i++, made++) {
      lsn += 0x40n
      const sample = sampleFact({ prefix, lsn, key: `customer-${made % keys}`, payloadBytes })
      facts.push(sample.fact)
      expected.set(formatLsn(lsn), { key: sample.key, value: sample.fact.value, lsn })
    }
    lsn += 0x20n
    txs.push({ endLsn: lsn, facts })
  }
  return { txs, expected }
}

describe('kafka sink against a real broker', () => {
  it('keeps per-key order across 100 keys and 10,000 facts on a 6-partition topic', async () => {
    const prefix = uniqueName('order')
    const { txs, expected } = transactions(prefix, 10_000, 100)
    const sink = createKafkaSink({ brokers, createTopics: { partitions: 6, replicationFactor: 1 } })
    await sink.connect()
    const advances: bigint[] = []
    sink.onDelivered((lsn) => advances.push(lsn))
    for (const tx of txs) await sink.send(tx)
    expect(await sink.drain(60_000)).toBe(true)
    expect(sink.deliveredLsn).toBe(txs.at(-1)!.endLsn)
    expect(sink.inFlight).toBe(0)
    await sink.close()

    const records = await readTopic(brokers, `${prefix}.order`, 10_000)
    expect(records).toHaveLength(10_000)
    const partitionOfKey = new Map<string, number>()
    const lastLsnOfKey = new Map<string, bigint>()
    for (const record of records) {
      const sent = expected.get(record.headers.LSN!)!
      expect(record.key).toBe(sent.key)
      const partition = partitionOfKey.get(sent.key) ?? record.partition
      expect(record.partition).toBe(partition)
      partitionOfKey.set(sent.key, partition)
      expect(sent.lsn > (lastLsnOfKey.get(sent.key) ?? 0n)).toBe(true)
      lastLsnOfKey.set(sent.key, sent.lsn)
    }
    expect(new Set(records.map((record) => record.partition)).size).toBe(6)
    expect(partitionOfKey.size).toBe(100)
    expect(advances.length).toBeGreaterThan(0)
    expect(advances.every((lsn, i) => i === 0 || lsn > advances[i - 1]!)).toBe(true)
    expect(warnings.filter((warning) => warning.name === 'TimeoutNegativeWarning')).toEqual([])
  })

  it('forwards the envelope bytes untouched with the Go factlib headers', async () => {
    const prefix = uniqueName('headers')
    const traced = sampleFact({
      prefix,
      lsn: 0x16b3748n,
      aggregateType: 'payment',
      key: 'pay-1',
      traceInfo: {
        traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
        spanId: '00f067aa0ba902b7',
        parentOp: 'checkout',
        isSampled: true,
      },
      metadata: { source: 'test' },
    })
    const plain = sampleFact({ prefix, lsn: 0x16b3790n, aggregateType: 'payment', key: 'pay-2' })
    const sink = createKafkaSink({ brokers, compression: 'gzip' })
    await sink.connect()
    await sink.send({ endLsn: 0x16b37a0n, facts: [traced.fact, plain.fact] })
    expect(await sink.drain(30_000)).toBe(true)
    await sink.close()

    const records = await readTopic(brokers, `${prefix}.payment`, 2)
    expect(records).toHaveLength(2)
    for (const sample of [traced, plain]) {
      const record = records.find((candidate) => candidate.key === sample.key)!
      expect(Buffer.compare(record.value!, Buffer.from(sample.fact.value))).toBe(0)
      expect(record.headers).toEqual(
        factHeaders(readEnvelopeHeader(sample.fact.value), formatLsn(sample.fact.lsn)),
      )
    }
    const tracedHeaders = records.find((record) => record.key === 'pay-1')!.headers
    expect(tracedHeaders).toMatchObject({
      event_id: traced.id,
      event_type: 'order.placed',
      LSN: '0/16B3748',
      trace_id: '4bf92f3577b34da6a3ce929d0e0e4736',
      span_id: '00f067aa0ba902b7',
      parent_op: 'checkout',
      is_sampled: '1',
      traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
    })
  })

  it('compresses with zstd from node:zlib when no zstd codec is registered', async () => {
    const prefix = uniqueName('zstd')
    const samples = Array.from({ length: 20 }, (_, i) =>
      sampleFact({ prefix, lsn: 0x100n + BigInt(i) * 0x40n, key: `k${i % 3}`, payloadBytes: 500 }),
    )
    const sink = createKafkaSink({ brokers, compression: 'zstd' })
    await sink.connect()
    await sink.send({ endLsn: 0x1000n, facts: samples.map((sample) => sample.fact) })
    expect(await sink.drain(30_000)).toBe(true)
    await sink.close()
    const records = await readTopic(brokers, `${prefix}.order`, 20)
    expect(records).toHaveLength(20)
    for (const sample of samples) {
      const record = records.find((candidate) => candidate.headers.event_id === sample.id)!
      expect(Buffer.compare(record.value!, Buffer.from(sample.fact.value))).toBe(0)
    }
  })

  it.each([
    { compression: 'none' as const, path: 'learnt from the topic config, before sending' },
    { compression: 'gzip' as const, path: 'refused by the broker, found by halving the batch' },
  ])(
    'dead-letters an oversized fact with why and where from, while the rest flow ($compression: $path)',
    async ({ compression }) => {
      const prefix = uniqueName('oversize')
      const topic = `${prefix}.order`
      const admin = new kafkajs.Kafka({ brokers, logLevel: kafkajs.logLevel.NOTHING }).admin()
      await admin.connect()
      await admin.createTopics({
        waitForLeaders: true,
        topics: [{ topic, numPartitions: 3, configEntries: [{ name: 'max.message.bytes', value: '20000' }] }],
      })
      await admin.disconnect()

      const { txs, expected } = transactions(prefix, 300, 10)
      const oversized = sampleFact({
        prefix,
        lsn: 0x9000000n,
        key: 'customer-3',
        payloadBytes: 60_000,
        randomPayload: true,
      })
      const middle = txs.length >> 1
      txs.splice(middle, 0, { endLsn: 0x9000010n, facts: [oversized.fact] })
      // LSNs must keep increasing: move the later transactions after the oversized one.
      const later = txs.slice(middle + 1)
      let lsn = 0x9000100n
      for (const tx of later) {
        for (const fact of tx.facts) {
          const entry = expected.get(formatLsn(fact.lsn))!
          expected.delete(formatLsn(fact.lsn))
          lsn += 0x40n
          fact.lsn = lsn
          expected.set(formatLsn(lsn), { ...entry, lsn })
        }
        lsn += 0x20n
        tx.endLsn = lsn
      }
      const deadLettered: Array<[string, string | undefined]> = []
      const sink = createKafkaSink({
        brokers,
        compression,
        hooks: { deadLettered: (reason, originalTopic) => deadLettered.push([reason, originalTopic]) },
      })
      await sink.connect()
      for (const tx of txs) await sink.send(tx)
      expect(await sink.drain(60_000)).toBe(true)
      expect(sink.deliveredLsn).toBe(txs.at(-1)!.endLsn)
      await sink.close()

      expect(deadLettered).toHaveLength(1)
      expect(deadLettered[0]![1]).toBe(topic)
      expect(deadLettered[0]![0]).toMatch(
        compression === 'none'
          ? /max\.message\.bytes \(20000\)/
          : /^Kafka refused the record: MESSAGE_TOO_LARGE/,
      )
      const [dead] = await readTopic(brokers, `${prefix}.dead-letter`, 1)
      expect(dead).toBeDefined()
      expect(Buffer.compare(dead!.value!, Buffer.from(oversized.fact.value))).toBe(0)
      expect(dead!.key).toBe('customer-3')
      expect(dead!.headers[DeadLetterHeaderName.originalTopic]).toBe(topic)
      expect(dead!.headers[DeadLetterHeaderName.lsn]).toBe(formatLsn(oversized.fact.lsn))
      expect(dead!.headers[DeadLetterHeaderName.error]).toMatch(/MESSAGE_TOO_LARGE|RECORD_LIST_TOO_LARGE/)
      expect(dead!.headers.event_id).toBe(oversized.id)

      const allThere = (records: Array<{ headers: Record<string, string> }>) => {
        const seen = new Set(records.map((record) => record.headers.LSN))
        return [...expected.keys()].every((text) => seen.has(text))
      }
      const delivered = await readTopic(brokers, topic, allThere)
      const lsns = new Set(delivered.map((record) => record.headers.LSN))
      expect(allThere(delivered)).toBe(true)
      // Known up front, nothing else is disturbed; refused by the broker, halving the request may
      // re-send records another partition had already taken (never lose or reorder them).
      if (compression === 'none') expect(delivered.length).toBe(lsns.size)
      else expect(delivered.length - lsns.size).toBeLessThan(300)
      expect(lsns.has(formatLsn(oversized.fact.lsn))).toBe(false)
    },
  )

  it('cuts a dead-letter value to what a small dead-letter topic takes, saying what the whole was', async () => {
    const prefix = uniqueName('cut')
    const deadLetterTopic = `${prefix}.dead-letter`
    const admin = new kafkajs.Kafka({ brokers, logLevel: kafkajs.logLevel.NOTHING }).admin()
    await admin.connect()
    await admin.createTopics({
      waitForLeaders: true,
      topics: [
        {
          topic: deadLetterTopic,
          numPartitions: 1,
          configEntries: [{ name: 'max.message.bytes', value: '20000' }],
        },
      ],
    })
    await admin.disconnect()
    const poison = sampleFact({ prefix, lsn: 0x100n, key: 'k1', payloadBytes: 100_000, randomPayload: true })
    const good = sampleFact({ prefix, lsn: 0x200n, key: 'k2' })
    const sink = createKafkaSink({ brokers })
    await sink.connect()
    await sink.send({ endLsn: 0x110n, facts: [{ ...poison.fact, deadLetterReason: 'poison' }] })
    await sink.send({ endLsn: 0x210n, facts: [good.fact] })
    expect(await sink.drain(30_000)).toBe(true)
    expect(sink.deliveredLsn).toBe(0x210n)
    await sink.close()

    const [dead] = await readTopic(brokers, deadLetterTopic, 1)
    const whole = Buffer.from(poison.fact.value)
    expect(dead!.value!.byteLength).toBeGreaterThan(10_000)
    expect(dead!.value!.byteLength).toBeLessThan(20_000)
    expect(Buffer.compare(dead!.value!, whole.subarray(0, dead!.value!.byteLength))).toBe(0)
    expect(dead!.headers).toMatchObject({
      [DeadLetterHeaderName.error]: 'poison',
      [DeadLetterHeaderName.originalSize]: String(whole.byteLength),
      [DeadLetterHeaderName.originalSha256]: createHash('sha256').update(whole).digest('hex'),
      [DeadLetterHeaderName.prefix]: prefix,
      event_id: poison.id,
    })
    expect(dead!.headers[DeadLetterHeaderName.valueOmitted]).toMatch(
      new RegExp(
        `^\\d+ of ${whole.byteLength} bytes: .*max\\.message\\.bytes \\(20000\\) of '${deadLetterTopic}'`,
      ),
    )
    const [delivered] = await readTopic(brokers, `${prefix}.order`, 1)
    expect(delivered!.headers.event_id).toBe(good.id)
  })

  it("learns the brokers' socket.request.max.bytes through DescribeConfigs on their BROKER resources", async () => {
    const client = createKafkajsClient({
      brokers,
      clientId: 'limits',
      compression: 'none',
      logger: silentLogger,
    })
    await client.connect()
    // The test broker runs with Kafka's default.
    expect(await client.brokerLimits()).toEqual({ maxRequestBytes: 100 * 1024 * 1024 })
    await client.disconnect()
  })
})
