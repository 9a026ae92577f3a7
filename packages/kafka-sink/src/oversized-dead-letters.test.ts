import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { DeadLetterHeaderName } from './fact-router.js'
import { createSinkOnClient } from './index.js'
import type { OutgoingRecord } from './producer-client.js'
import type { KafkaSinkOptions, SinkFact } from './sink-types.js'
import { batchSizeOf, FakeProducerClient } from './test-support/fake-producer-client.js'
import {
  exactlyOnceSinkOn,
  exactlyOnceTestOptions,
  FakeTransactionalBroker,
} from './test-support/fake-transactional-broker.js'
import { sampleFact } from './test-support/sample-facts.js'

// Issue #30: a 300 MB message was dead-lettered whole, the broker dropped the connection, and the
// sink retried it forever. These tests hold both sinks to what the broker really takes.

const fastBackoff = { initialMs: 1, maxMs: 4, jitter: 0 }
const MiB = 1024 * 1024
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex')

/** A broker refuses a record whose batch exceeds the topic's max.message.bytes, as Kafka does. */
function refusesOver(limits: Map<string, number>) {
  return (record: OutgoingRecord) => batchSizeOf([record]) > (limits.get(record.topic) ?? 1_048_588)
}

function atLeastOnce(broker: FakeProducerClient, options: Partial<KafkaSinkOptions> = {}) {
  return createSinkOnClient({ brokers: ['fake:9092'], ...options }, () => broker, fastBackoff)
}

/** A fact whose envelope is `payloadBytes` of filler: for its own topic unless dead-lettered. */
function fact(lsn: bigint, payloadBytes: number, deadLetterReason?: string): SinkFact {
  const { fact } = sampleFact({ prefix: 'shop', lsn, key: `k${lsn}`, payloadBytes })
  return deadLetterReason === undefined ? fact : { ...fact, deadLetterReason }
}

/** Asserts a dead-letter record carries the first bytes of `whole`, under `limit`, and says so. */
function expectCut(record: OutgoingRecord, whole: Uint8Array, limit: number) {
  expect(batchSizeOf([record])).toBeLessThanOrEqual(limit)
  const kept = record.value!
  expect(kept.byteLength).toBeGreaterThan(limit / 2)
  expect(kept.byteLength).toBeLessThan(whole.byteLength)
  expect(Buffer.compare(kept, Buffer.from(whole.buffer, whole.byteOffset, kept.byteLength))).toBe(0)
  expect(record.headers).toMatchObject({
    [DeadLetterHeaderName.originalSize]: String(whole.byteLength),
    [DeadLetterHeaderName.originalSha256]: sha256(whole),
    [DeadLetterHeaderName.originalHead]: Buffer.from(whole.subarray(0, 64)).toString('hex'),
    [DeadLetterHeaderName.prefix]: 'shop',
  })
  expect(
    record.headers[DeadLetterHeaderName.valueOmitted]!.startsWith(
      `${whole.byteLength - kept.byteLength} of ${whole.byteLength} bytes: the value is cut to its first ` +
        `${kept.byteLength} bytes to fit `,
    ),
  ).toBe(true)
}

describe('at-least-once sink and records that do not fit', () => {
  it('cuts a 50 MB dead-letter value to what a 1 MB dead-letter topic takes; the next fact goes through', async () => {
    const limits = new Map([['shop.dead-letter', 1_000_000]])
    const broker = new FakeProducerClient({
      random: () => 0.5,
      limits,
      refuses: refusesOver(limits),
      maxRequestBytes: 100 * MiB,
    })
    const sink = atLeastOnce(broker)
    await sink.connect()
    const poison = fact(0x100n, 50_000_000, 'the relay says no')
    await sink.send({ endLsn: 0x110n, facts: [poison] })
    await sink.send({ endLsn: 0x210n, facts: [fact(0x200n, 100)] })
    expect(await sink.drain(10_000)).toBe(true)
    expect(sink.deliveredLsn).toBe(0x210n)
    const [dead] = broker.topics.get('shop.dead-letter') ?? []
    expectCut(dead!, poison.value, 1_000_000)
    expect(dead!.headers[DeadLetterHeaderName.valueOmitted]).toMatch(
      /max\.message\.bytes \(1000000\) of 'shop\.dead-letter'$/,
    )
    expect(dead!.headers[DeadLetterHeaderName.error]).toBe('the relay says no')
    expect(broker.topics.get('shop.order')).toHaveLength(1)
    expect(broker.oversizedRequests).toBe(0)
    await sink.close()
  })

  it('never sends a 300 MB undecodable message: cut to the default limit, under the request bound', async () => {
    // Nothing learned of the dead-letter topic: Kafka's default max.message.bytes holds.
    const broker = new FakeProducerClient({
      random: () => 0.5,
      refuses: refusesOver(new Map()),
      maxRequestBytes: 100 * MiB,
    })
    const sink = atLeastOnce(broker)
    await sink.connect()
    const junk = Buffer.alloc(300 * MiB, 0xff)
    await sink.send({ endLsn: 0x110n, facts: [{ prefix: 'shop', lsn: 0x100n, value: junk }] })
    await sink.send({ endLsn: 0x210n, facts: [fact(0x200n, 100)] })
    expect(await sink.drain(20_000)).toBe(true)
    const [dead] = broker.topics.get('shop.dead-letter') ?? []
    expectCut(dead!, junk, 1_048_588)
    expect(dead!.key).toBeNull()
    expect(broker.topics.get('shop.order')).toHaveLength(1)
    expect(broker.oversizedRequests).toBe(0)
    expect(broker.largestRequest).toBeLessThanOrEqual(100 * MiB)
    await sink.close()
  }, 60_000)

  it('dead-letters an omitted fact with an empty value and what is known of the value', async () => {
    const broker = new FakeProducerClient({ random: () => 0.5 })
    const sink = atLeastOnce(broker)
    await sink.connect()
    const head = new Uint8Array(64).fill(0xab)
    const omitted = { byteLength: 300 * MiB, sha256: '5e'.repeat(32), head }
    await sink.send({
      endLsn: 0x110n,
      facts: [
        { prefix: 'shop', lsn: 0x100n, value: new Uint8Array(0), deadLetterReason: 'too large', omitted },
      ],
    })
    expect(await sink.drain(5_000)).toBe(true)
    const [dead] = broker.topics.get('shop.dead-letter') ?? []
    expect(Buffer.isBuffer(dead!.value) && dead!.value.byteLength).toBe(0)
    expect(dead!.headers).toMatchObject({
      [DeadLetterHeaderName.error]: 'too large',
      [DeadLetterHeaderName.originalSize]: String(300 * MiB),
      [DeadLetterHeaderName.originalSha256]: omitted.sha256,
      [DeadLetterHeaderName.originalHead]: 'ab'.repeat(64),
      [DeadLetterHeaderName.prefix]: 'shop',
      [DeadLetterHeaderName.lsn]: '0/100',
    })
    expect(dead!.headers[DeadLetterHeaderName.valueOmitted]).toMatch(/^314572800 bytes: /)
    await sink.close()
  })

  it.each([
    { how: 'configured', options: { maxRequestBytes: 256 * 1024 }, describesBrokers: false },
    { how: 'learned from the brokers', options: {}, describesBrokers: true },
  ])(
    'keeps every request under maxRequestBytes ($how), dead-lettering a record that cannot fit alone',
    async ({ options, describesBrokers }) => {
      const bound = 256 * 1024
      const broker = new FakeProducerClient({ random: () => 0.5, maxRequestBytes: bound, describesBrokers })
      const reasons: string[] = []
      const sink = atLeastOnce(broker, {
        ...options,
        hooks: { deadLettered: (reason) => reasons.push(reason) },
      })
      await sink.connect()
      // 30 facts of 20 KB would go in one 600 KB request (under the 768 KiB batch size) without the bound.
      const facts = Array.from({ length: 30 }, (_, i) => fact(0x100n + BigInt(i) * 0x10n, 20_000))
      const huge = fact(0x1000n, 400_000)
      await sink.send({ endLsn: 0x900n, facts })
      await sink.send({ endLsn: 0x1010n, facts: [huge] })
      expect(await sink.drain(5_000)).toBe(true)
      expect(sink.deliveredLsn).toBe(0x1010n)
      expect(broker.oversizedRequests).toBe(0)
      expect(broker.largestRequest).toBeLessThanOrEqual(bound)
      expect(broker.topics.get('shop.order')).toHaveLength(30)
      expect(reasons).toEqual([
        expect.stringMatching(/more than a produce request may carry \(maxRequestBytes 262144/),
      ])
      const [dead] = broker.topics.get('shop.dead-letter') ?? []
      expectCut(dead!, huge.value, bound)
      expect(dead!.headers[DeadLetterHeaderName.originalTopic]).toBe('shop.order')
      await sink.close()
    },
  )
})

describe('exactly-once sink and records that do not fit', () => {
  const options = exactlyOnceTestOptions

  /** Sends the transactions once, as the relay would, and says whether any transaction was lost. */
  async function deliver(
    broker: FakeTransactionalBroker,
    facts: SinkFact[][],
    extra: Partial<KafkaSinkOptions> = {},
  ) {
    const sink = exactlyOnceSinkOn({ ...options, ...extra }, () => broker.client(), fastBackoff)
    const lost: Error[] = []
    sink.onLost((error) => lost.push(error))
    await sink.connect()
    await sink.resume()
    let end = 0n
    for (const tx of facts) {
      end = tx.at(-1)!.lsn + 0x10n
      await sink.send({ endLsn: end, facts: tx })
    }
    const drained = await sink.drain(10_000)
    const delivered = sink.deliveredLsn
    await sink.close()
    return { lost, drained, delivered, end }
  }

  const committedTo = (broker: FakeTransactionalBroker, topic: string) =>
    broker.committed.filter((record) => record.topic === topic)

  it('dead-letters an envelope just over its topic limit inside the same transaction, aborting nothing', async () => {
    const limits = new Map([['shop.order', 4000]])
    const broker = new FakeTransactionalBroker({ limits, refuses: refusesOver(limits) })
    const over = fact(0x200n, 4000)
    const result = await deliver(broker, [[fact(0x100n, 10), over, fact(0x300n, 10)]])
    expect(result.lost).toEqual([])
    expect(broker.aborts).toBe(0)
    expect(result.drained).toBe(true)
    expect(result.delivered).toBe(result.end)
    expect(committedTo(broker, 'shop.order')).toHaveLength(2)
    const [dead] = committedTo(broker, 'shop.dead-letter')
    expect(dead!.headers[DeadLetterHeaderName.error]).toMatch(
      /^MESSAGE_TOO_LARGE: .*max\.message\.bytes \(4000\)/,
    )
    expect(Buffer.compare(dead!.value!, Buffer.from(over.value))).toBe(0)
  })

  it('cuts a 50 MB dead-letter value to a 1 MB dead-letter topic in the transaction; the next fact commits', async () => {
    const limits = new Map([['shop.dead-letter', 1_000_000]])
    const broker = new FakeTransactionalBroker({
      limits,
      refuses: refusesOver(limits),
      maxRequestBytes: 100 * MiB,
    })
    const poison = fact(0x100n, 50_000_000, 'the relay says no')
    const result = await deliver(broker, [[poison], [fact(0x200n, 100)]])
    expect(result.lost).toEqual([])
    expect(broker.aborts).toBe(0)
    expect(result.delivered).toBe(result.end)
    const [dead] = committedTo(broker, 'shop.dead-letter')
    expectCut(dead!, poison.value, 1_000_000)
    expect(committedTo(broker, 'shop.order')).toHaveLength(1)
    expect(broker.oversizedRequests).toBe(0)
  })

  it('keeps every request of a transaction under maxRequestBytes, dead-lettering what cannot fit alone', async () => {
    const bound = 256 * 1024
    const broker = new FakeTransactionalBroker({ maxRequestBytes: bound })
    const facts = Array.from({ length: 30 }, (_, i) => fact(0x100n + BigInt(i) * 0x10n, 20_000))
    const huge = fact(0x1000n, 400_000)
    const result = await deliver(broker, [facts, [huge]], { maxRequestBytes: bound })
    expect(result.lost).toEqual([])
    expect(broker.aborts).toBe(0)
    expect(result.delivered).toBe(result.end)
    expect(broker.oversizedRequests).toBe(0)
    expect(broker.largestRequest).toBeLessThanOrEqual(bound)
    expect(committedTo(broker, 'shop.order')).toHaveLength(30)
    expectCut(committedTo(broker, 'shop.dead-letter')[0]!, huge.value, bound)
  })
})
