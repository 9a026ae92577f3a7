import { HeaderName } from '@factlib/core'
import { formatLsn } from '@factlib/wal'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { KafkaSinkConfigError, SinkClosedError, SinkHaltedError, TopicMissingError } from './errors.js'
import { DeadLetterHeaderName } from './fact-router.js'
import { createSinkOnClient } from './index.js'
import { ProduceFailure } from './producer-client.js'
import type { KafkaSinkOptions, SinkFact, SinkTransaction } from './sink-types.js'
import { FakeProducerClient } from './test-support/fake-producer-client.js'
import { sampleFact } from './test-support/sample-facts.js'

const fastBackoff = { initialMs: 1, maxMs: 4, jitter: 0 }

function sinkOn(broker: FakeProducerClient, options: Partial<KafkaSinkOptions> = {}) {
  return createSinkOnClient({ brokers: ['fake:9092'], ...options }, () => broker, fastBackoff)
}

/** A broker whose first produce request fails as a leader change would; the retry goes through. */
class FirstRequestFails extends FakeProducerClient {
  override async produce(records: Parameters<FakeProducerClient['produce']>[0]): Promise<void> {
    if (this.produceCalls++ === 0)
      throw new ProduceFailure('transient', 'NOT_LEADER_OR_FOLLOWER', 'leader moved')
    return super.produce(records)
  }
}

/** A deterministic random source from a fast-check seed. */
function seeded(seed: number): () => number {
  let state = seed >>> 0 || 1
  return () => {
    state ^= state << 13
    state ^= state >>> 17
    state ^= state << 5
    return (state >>> 0) / 2 ** 32
  }
}

type FactKind = 'plain' | 'oversized' | 'undecodable' | 'caller-dead-letter'

interface Planned {
  tx: SinkTransaction
  kinds: FactKind[]
  keys: string[]
}

function plan(shapes: Array<Array<{ key: number; kind: FactKind }>>): Planned[] {
  let lsn = 0x1000n
  return shapes.map((facts) => {
    const kinds: FactKind[] = []
    const keys: string[] = []
    const sinkFacts: SinkFact[] = facts.map(({ key, kind }) => {
      lsn += 0x28n
      kinds.push(kind)
      keys.push(`k${key}`)
      if (kind === 'undecodable') return { prefix: 'shop', lsn, value: new Uint8Array([0xff, 0xff, 0xff]) }
      const { fact } = sampleFact({
        prefix: 'shop',
        lsn,
        key: `k${key}`,
        payloadBytes: kind === 'oversized' ? 5000 : 10,
      })
      return kind === 'caller-dead-letter' ? { ...fact, deadLetterReason: 'relay says no' } : fact
    })
    lsn += 0x10n
    return { tx: { endLsn: lsn, facts: sinkFacts }, kinds, keys }
  })
}

const shapesArbitrary = fc.array(
  fc.array(
    fc.record({
      key: fc.nat({ max: 7 }),
      kind: fc.oneof(
        { weight: 12, arbitrary: fc.constant<FactKind>('plain') },
        { weight: 1, arbitrary: fc.constantFrom<FactKind>('oversized', 'undecodable', 'caller-dead-letter') },
      ),
    }),
    { maxLength: 5 },
  ),
  { minLength: 1, maxLength: 25 },
)

/** The broker refuses anything over 4000 bytes on the fact topics (like max.message.bytes). */
const refusesOversized = (record: { topic: string; value: Buffer | null }) =>
  record.topic === 'shop.order' && (record.value?.byteLength ?? 0) > 4000

describe('kafka sink on a fake broker', () => {
  it('delivers everything, never confirms past a fact the broker lacks, keeps per-key order', async () => {
    await fc.assert(
      fc.asyncProperty(
        shapesArbitrary,
        fc.integer(),
        fc.integer({ min: 1, max: 12 }),
        fc.boolean(),
        fc.boolean(),
        async (shapes, seed, maxInFlightFacts, brokerTellsLimits, prepares) => {
          const broker = new FakeProducerClient({
            random: seeded(seed),
            // Whether the client keeps records prepared (opaque to the sink) as kafkajs does.
            prepares,
            transientRate: 0.3,
            producerStateRate: 0.05,
            refuses: refusesOversized,
            // Whether the sink can learn max.message.bytes up front, or only finds out by failing.
            ...(brokerTellsLimits ? { limits: new Map([['shop.order', 4000]]) } : {}),
          })
          const planned = plan(shapes)
          const sink = sinkOn(broker, { maxInFlightFacts })
          const written = (lsn: bigint) => broker.recordsWith(HeaderName.lsn, formatLsn(lsn)).length > 0
          const assertCovered = (delivered: bigint) => {
            for (const { tx } of planned) {
              if (tx.endLsn > delivered) break
              for (const fact of tx.facts) expect(written(fact.lsn)).toBe(true)
            }
          }
          const seen: bigint[] = []
          sink.onDelivered((lsn) => {
            seen.push(lsn)
            assertCovered(lsn)
          })
          broker.onProduce = () => assertCovered(sink.deliveredLsn)
          await sink.connect()
          for (const { tx } of planned) {
            await sink.send(tx)
            expect(sink.inFlight).toBeLessThanOrEqual(Math.max(maxInFlightFacts, tx.facts.length))
          }
          expect(await sink.drain(20_000)).toBe(true)
          expect(sink.deliveredLsn).toBe(planned.at(-1)!.tx.endLsn)
          expect(seen).toEqual([...seen].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)))

          const main = broker.topics.get('shop.order') ?? []
          const deadLetters = broker.topics.get('shop.dead-letter') ?? []
          const expectedOrderPerKey = new Map<string, string[]>()
          for (const { tx, kinds, keys } of planned) {
            tx.facts.forEach((fact, i) => {
              const lsn = formatLsn(fact.lsn)
              if (kinds[i] === 'plain') {
                expectedOrderPerKey.set(keys[i]!, [...(expectedOrderPerKey.get(keys[i]!) ?? []), lsn])
                expect(main.some((record) => record.headers[HeaderName.lsn] === lsn)).toBe(true)
              } else {
                const dead = deadLetters.filter((record) => record.headers[DeadLetterHeaderName.lsn] === lsn)
                expect(dead.length).toBeGreaterThan(0)
                expect(dead[0]!.headers[DeadLetterHeaderName.error]).toBeTruthy()
                expect(Buffer.from(fact.value).equals(dead[0]!.value!)).toBe(true)
                expect(main.some((record) => record.headers[HeaderName.lsn] === lsn)).toBe(false)
              }
            })
          }
          // Duplicates may appear after a failure; the first occurrences keep WAL order per key.
          for (const [key, lsns] of expectedOrderPerKey) {
            const firsts: string[] = []
            for (const record of main) {
              const lsn = record.headers[HeaderName.lsn]!
              if (record.key?.toString() === key && !firsts.includes(lsn)) firsts.push(lsn)
            }
            expect(firsts).toEqual(lsns)
          }
          await sink.close()
        },
      ),
      { numRuns: 60 },
    )
  })

  it('halts on a permanent error when told to, and confirms nothing from that fact on', async () => {
    // Failing now and then as well: the halt must be reported even while already unhealthy.
    const broker = new FakeProducerClient({
      random: seeded(7),
      refuses: refusesOversized,
      transientRate: 0.5,
    })
    const errors: Error[] = []
    const sink = sinkOn(broker, {
      onPermanentError: 'halt',
      hooks: { healthChanged: (healthy, error) => !healthy && error && errors.push(error) },
    })
    await sink.connect()
    const planned = plan([
      [{ key: 1, kind: 'plain' }],
      [{ key: 2, kind: 'oversized' }],
      [{ key: 1, kind: 'plain' }],
    ])
    for (const { tx } of planned) await sink.send(tx)
    await expect.poll(() => errors.some((error) => error instanceof SinkHaltedError)).toBe(true)
    expect(sink.healthy).toBe(false)
    expect(sink.deliveredLsn).toBe(planned[0]!.tx.endLsn)
    const halted = errors.find((error) => error instanceof SinkHaltedError) as SinkHaltedError
    expect(errors.at(-1)).toBe(halted)
    expect(halted.lsn).toBe(planned[1]!.tx.facts[0]!.lsn)
    expect(halted.topic).toBe('shop.order')
    await expect(sink.send(plan([[{ key: 3, kind: 'plain' }]])[0]!.tx)).rejects.toBeInstanceOf(
      SinkHaltedError,
    )
    expect(broker.topics.get('shop.dead-letter')).toBeUndefined()
    // Partial writes before a failure may repeat the first fact; the later one never lands.
    expect(new Set(broker.topics.get('shop.order')!.map((record) => record.headers.LSN)).size).toBe(1)
    await sink.close()
  })

  // Prepared as kafkajs/client.ts prepares them, records read as empty: the sink measures first.
  it.each([{ prepares: false }, { prepares: true }])(
    'dead-letters a fact larger than its topic takes before sending it, so nothing else is sent twice (prepares: $prepares)',
    async ({ prepares }) => {
      const broker = new FakeProducerClient({
        random: seeded(37),
        refuses: refusesOversized,
        limits: new Map([['shop.order', 4000]]),
        prepares,
      })
      const reasons: string[] = []
      const sink = sinkOn(broker, { hooks: { deadLettered: (reason) => reasons.push(reason) } })
      await sink.connect()
      const planned = plan([
        [
          { key: 1, kind: 'plain' },
          { key: 2, kind: 'plain' },
        ],
        [
          { key: 3, kind: 'oversized' },
          { key: 4, kind: 'plain' },
        ],
      ])
      for (const { tx } of planned) await sink.send(tx)
      expect(await sink.drain(5_000)).toBe(true)
      expect(broker.resets).toBe(0)
      expect(broker.topics.get('shop.order')).toHaveLength(3)
      expect(broker.topics.get('shop.dead-letter')).toHaveLength(1)
      expect(reasons[0]).toMatch(/max\.message\.bytes \(4000\) of topic 'shop\.order'/)
      await sink.close()
    },
  )

  it('halts before a fact the caller routed to the dead-letter topic, in halt mode', async () => {
    const broker = new FakeProducerClient({ random: seeded(3) })
    const sink = sinkOn(broker, { onPermanentError: 'halt' })
    await sink.connect()
    const planned = plan([
      [
        { key: 1, kind: 'plain' },
        { key: 1, kind: 'undecodable' },
      ],
    ])
    await sink.send(planned[0]!.tx)
    await expect.poll(() => sink.healthy).toBe(false)
    expect(sink.deliveredLsn).toBe(0n)
    expect(broker.topics.get('shop.order')).toHaveLength(1)
    await sink.close()
  })

  it('pends send() while the in-flight limits are full, and resumes as facts are acknowledged', async () => {
    const broker = new FakeProducerClient({ random: seeded(11) })
    let open: () => void = () => {}
    broker.gate = new Promise((resolve) => {
      open = resolve
    })
    const sink = sinkOn(broker, { maxInFlightFacts: 3, maxInFlightBytes: 1_000_000 })
    await sink.connect()
    const planned = plan([
      [
        { key: 1, kind: 'plain' },
        { key: 2, kind: 'plain' },
      ],
      [{ key: 3, kind: 'plain' }],
      [{ key: 4, kind: 'plain' }],
    ])
    await sink.send(planned[0]!.tx)
    await sink.send(planned[1]!.tx)
    let third = false
    const pending = sink.send(planned[2]!.tx).then(() => {
      third = true
    })
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect(third).toBe(false)
    expect(sink.inFlight).toBe(3)
    broker.gate = undefined
    open()
    await pending
    expect(third).toBe(true)
    expect(await sink.drain(5_000)).toBe(true)
    expect(sink.deliveredLsn).toBe(planned[2]!.tx.endLsn)
    await sink.close()
  })

  it('reports itself unhealthy while retrying and healthy once delivery works again', async () => {
    const broker = new FakeProducerClient({ random: seeded(5), transientRate: 1 })
    const changes: Array<[boolean, string | undefined]> = []
    const sink = sinkOn(broker, {
      hooks: { healthChanged: (healthy, error) => changes.push([healthy, error?.name]) },
    })
    await sink.connect()
    expect(sink.healthy).toBe(true)
    const planned = plan([[{ key: 1, kind: 'plain' }]])
    await sink.send(planned[0]!.tx)
    await expect.poll(() => broker.produceCalls).toBeGreaterThan(3)
    expect(sink.healthy).toBe(false)
    expect(sink.deliveredLsn).toBe(0n)
    broker.behaviour.transientRate = 0
    expect(await sink.drain(5_000)).toBe(true)
    expect(sink.healthy).toBe(true)
    expect(changes).toEqual([
      [true, undefined],
      [false, 'KafkaDeliveryError'],
      [true, undefined],
    ])
    await sink.close()
  })

  it('names the missing topic when it does not exist and is not created', async () => {
    const broker = new FakeProducerClient({ random: seeded(9), missing: new Set(['shop.order']) })
    const errors: Error[] = []
    const sink = sinkOn(broker, {
      hooks: { healthChanged: (_healthy, error) => error && errors.push(error) },
    })
    await sink.connect()
    await sink.send(plan([[{ key: 1, kind: 'plain' }]])[0]!.tx)
    await expect.poll(() => errors.length).toBeGreaterThan(0)
    expect(errors[0]).toBeInstanceOf(TopicMissingError)
    expect(errors[0]!.message).toContain("'shop.order'")
    expect(errors[0]!.message).toContain('createTopics')
    broker.behaviour.missing = undefined
    expect(await sink.drain(5_000)).toBe(true)
    await sink.close()
  })

  it('creates topics once, before their first fact, when asked to', async () => {
    const broker = new FakeProducerClient({ random: seeded(13) })
    const sink = sinkOn(broker, { createTopics: { partitions: 6, replicationFactor: 1 } })
    await sink.connect()
    for (const { tx } of plan([
      [{ key: 1, kind: 'plain' }],
      [{ key: 2, kind: 'undecodable' }],
      [{ key: 3, kind: 'plain' }],
    ])) {
      await sink.send(tx)
    }
    expect(await sink.drain(5_000)).toBe(true)
    expect(broker.created.sort()).toEqual(['shop.dead-letter', 'shop.order'])
    await sink.close()
  })

  it('calls the hooks for delivered and dead-lettered facts', async () => {
    const broker = new FakeProducerClient({ random: seeded(17) })
    const delivered: string[] = []
    const deadLettered: Array<[string, string | undefined]> = []
    const sink = sinkOn(broker, {
      hooks: {
        delivered: (topic, fact) => delivered.push(`${topic}@${formatLsn(fact.lsn)}`),
        deadLettered: (reason, originalTopic) => deadLettered.push([reason, originalTopic]),
      },
    })
    await sink.connect()
    const planned = plan([
      [
        { key: 1, kind: 'plain' },
        { key: 1, kind: 'undecodable' },
        { key: 1, kind: 'caller-dead-letter' },
      ],
    ])
    await sink.send(planned[0]!.tx)
    expect(await sink.drain(5_000)).toBe(true)
    expect(delivered).toEqual([`shop.order@${formatLsn(planned[0]!.tx.facts[0]!.lsn)}`])
    expect(deadLettered).toHaveLength(2)
    expect(deadLettered[0]![0]).toMatch(/^envelope does not decode/)
    expect(deadLettered[0]![1]).toBeUndefined()
    expect(deadLettered[1]).toEqual(['relay says no', 'shop.order'])
    await sink.close()
  })

  it('reports each fact accepted with its envelope, its delivery latency, and failed requests per topic', async () => {
    const broker = new FirstRequestFails({ random: seeded(5) })
    const accepted: Array<string | undefined> = []
    const latencies: number[] = []
    const failures: Array<[string, number, string]> = []
    const sink = sinkOn(broker, {
      hooks: {
        accepted: (_fact, envelope) =>
          accepted.push(envelope && `${envelope.aggregateType}/${envelope.eventType}`),
        delivered: (_topic, _fact, _tx, seconds) => latencies.push(seconds),
        deliveryFailed: (topic, facts, type) => failures.push([topic, facts, type]),
      },
    })
    await sink.connect()
    const planned = plan([
      [
        { key: 1, kind: 'plain' },
        { key: 2, kind: 'plain' },
        { key: 1, kind: 'undecodable' },
      ],
    ])
    // The broker takes 200 ms to acknowledge: the latency reported is from acceptance to then.
    let acknowledge = () => {}
    broker.gate = new Promise<void>((resolve) => {
      acknowledge = resolve
    })
    const sent = performance.now()
    await sink.send(planned[0]!.tx)
    expect(accepted).toEqual(['order/order.placed', 'order/order.placed', undefined])
    setTimeout(acknowledge, 200)
    expect(await sink.drain(5_000)).toBe(true)
    const elapsed = (performance.now() - sent) / 1000
    expect(failures).toEqual([
      ['shop.order', 2, 'produce_error'],
      ['shop.dead-letter', 1, 'produce_error'],
    ])
    expect(latencies).toHaveLength(2)
    for (const seconds of latencies) {
      expect(seconds).toBeGreaterThanOrEqual(0.19)
      expect(seconds).toBeLessThanOrEqual(elapsed)
    }
    await sink.close()
  })

  it('reports a refused record once, not the records that shared its request', async () => {
    const broker = new FakeProducerClient({ random: seeded(9), refuses: refusesOversized })
    const failures: Array<[string, number, string]> = []
    const sink = sinkOn(broker, {
      hooks: { deliveryFailed: (topic, facts, type) => failures.push([topic, facts, type]) },
    })
    await sink.connect()
    const planned = plan([
      [
        { key: 1, kind: 'plain' },
        { key: 2, kind: 'plain' },
        { key: 3, kind: 'oversized' },
        { key: 4, kind: 'plain' },
      ],
    ])
    await sink.send(planned[0]!.tx)
    expect(await sink.drain(5_000)).toBe(true)
    expect(failures).toEqual([['shop.order', 1, 'rejected']])
    await sink.close()
  })

  it('closes promptly while a produce request hangs, and refuses sends afterwards', async () => {
    const broker = new FakeProducerClient({ random: seeded(31) })
    broker.gate = new Promise(() => {})
    const sink = sinkOn(broker)
    await sink.connect()
    await sink.send(plan([[{ key: 1, kind: 'plain' }]])[0]!.tx)
    await expect.poll(() => broker.produceCalls).toBe(1)
    const started = Date.now()
    await sink.close()
    expect(Date.now() - started).toBeLessThan(5_000)
    expect(sink.deliveredLsn).toBe(0n)
    expect(sink.healthy).toBe(false)
    await expect(sink.send({ endLsn: 0x5000n, facts: [] })).rejects.toBeInstanceOf(SinkClosedError)
  })

  it('stays closed when close() comes while a connect() is failing', async () => {
    const broker = new FakeProducerClient({ random: seeded(41) })
    let attempts = 0
    broker.connect = async () => {
      if (++attempts === 1) {
        await new Promise((resolve) => setTimeout(resolve, 20))
        throw new Error('broker unreachable')
      }
    }
    const sink = sinkOn(broker)
    const connecting = sink.connect()
    await sink.close()
    await expect(connecting).rejects.toThrow('broker unreachable')
    await expect(sink.connect()).rejects.toBeInstanceOf(SinkClosedError)
    expect(attempts).toBe(1)
  })

  it('lets a second connect() wait for the first, so send() works after either', async () => {
    const sink = sinkOn(new FakeProducerClient({ random: seeded(41) }))
    await Promise.all([sink.connect(), sink.connect()])
    await sink.send({ endLsn: 0x10n, facts: [] })
    expect(sink.deliveredLsn).toBe(0x10n)
    await sink.close()
    await expect(sink.connect()).rejects.toBeInstanceOf(SinkClosedError)
  })

  it('confirms transactions without facts once everything before them is delivered', async () => {
    const broker = new FakeProducerClient({ random: seeded(19) })
    const sink = sinkOn(broker)
    await sink.connect()
    await sink.send({ endLsn: 0x500n, facts: [] })
    expect(sink.deliveredLsn).toBe(0x500n)
    await sink.close()
  })

  it("refuses a transaction ending before the last one: skipping replays is the relay's job", async () => {
    const broker = new FakeProducerClient({ random: seeded(23) })
    const sink = sinkOn(broker)
    await sink.connect()
    const [first, second] = plan([[{ key: 1, kind: 'plain' }], [{ key: 2, kind: 'plain' }]])
    await sink.send(first!.tx)
    await sink.send(second!.tx)
    await expect(sink.send(first!.tx)).rejects.toThrow(/WAL order/)
    expect(await sink.drain(5_000)).toBe(true)
    expect(sink.deliveredLsn).toBe(second!.tx.endLsn)
    expect(broker.topics.get('shop.order')).toHaveLength(2)
    await sink.close()
  })

  it('delivers facts handed over at the last end LSN without moving the position past it', async () => {
    const broker = new FakeProducerClient({ random: seeded(31) })
    const sink = sinkOn(broker)
    await sink.connect()
    const [committed, chunk, rest] = plan([
      [{ key: 1, kind: 'plain' }],
      [{ key: 2, kind: 'plain' }],
      [{ key: 3, kind: 'plain' }],
    ])
    await sink.send(committed!.tx)
    // A chunk of a transaction whose commit has not arrived carries the previous end LSN.
    await sink.send({ ...chunk!.tx, endLsn: committed!.tx.endLsn })
    expect(await sink.drain(5_000)).toBe(true)
    expect(sink.deliveredLsn).toBe(committed!.tx.endLsn)
    await sink.send(rest!.tx)
    expect(await sink.drain(5_000)).toBe(true)
    expect(sink.deliveredLsn).toBe(rest!.tx.endLsn)
    expect(broker.topics.get('shop.order')).toHaveLength(3)
    await sink.close()
  })

  it('refuses, before connecting, a compression the client has no codec for, naming the option', async () => {
    const broker = new FakeProducerClient({ random: seeded(29), codecs: ['none', 'gzip'] })
    const sink = sinkOn(broker, { compression: 'lz4' })
    const connecting = sink.connect()
    await expect(connecting).rejects.toBeInstanceOf(KafkaSinkConfigError)
    await expect(connecting).rejects.toThrow("option 'compression': no lz4 codec in this fake client")
    expect(broker.connected).toBe(false)
    // Refused, not broken: with a codec it has, the same client connects.
    const gzip = sinkOn(broker, { compression: 'gzip' })
    await expect(gzip.connect()).resolves.toBeUndefined()
    await gzip.close()
  })

  it('lets facts wait lingerMs for company, but never a request that is already full', async () => {
    const broker = new FakeProducerClient({ random: seeded(37) })
    const sink = sinkOn(broker, { lingerMs: 1_000, maxInFlightFacts: 20_000 })
    await sink.connect()
    const few = plan(Array.from({ length: 5 }, (_, key) => [{ key, kind: 'plain' as const }]))
    const started = performance.now()
    for (const { tx } of few) await sink.send(tx)
    expect(await sink.drain(5_000)).toBe(true)
    expect(performance.now() - started).toBeGreaterThanOrEqual(990)
    expect(broker.produceCalls).toBe(1)
    expect(broker.topics.get('shop.order')).toHaveLength(5)

    const many = plan([Array.from({ length: 10_000 }, (_, key) => ({ key, kind: 'plain' as const }))])
    broker.produceCalls = 0
    const full = performance.now()
    await sink.send(many[0]!.tx)
    expect(await sink.drain(5_000)).toBe(true)
    expect(performance.now() - full).toBeLessThan(900)
    expect(broker.topics.get('shop.order')).toHaveLength(10_005)
    await sink.close()
    expect(() => sinkOn(broker, { lingerMs: -1 })).toThrow(KafkaSinkConfigError)
  })

  it('learns the limit of a topic met while lingering before sending to it', async () => {
    const broker = new FakeProducerClient({ random: seeded(41), limits: new Map([['shop.payment', 500]]) })
    const sink = sinkOn(broker, { lingerMs: 200 })
    await sink.connect()
    const small = sampleFact({ prefix: 'shop', lsn: 0x100n, key: 'o-1' }).fact
    const large = sampleFact({
      prefix: 'shop',
      lsn: 0x200n,
      key: 'p-1',
      aggregateType: 'payment',
      payloadBytes: 2_000,
    })
    await sink.send({ endLsn: 0x150n, facts: [small] })
    await new Promise((resolve) => setTimeout(resolve, 20))
    await sink.send({ endLsn: 0x250n, facts: [large.fact] })
    expect(await sink.drain(5_000)).toBe(true)
    expect(broker.topics.get('shop.payment') ?? []).toHaveLength(0)
    expect(broker.topics.get('shop.dead-letter')).toHaveLength(1)
    await sink.close()
  })
})
