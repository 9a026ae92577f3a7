import { encodeEnvelope } from '@factlib/core/wire'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  KafkaSinkConfigError,
  ProducerFencedError,
  SinkClosedError,
  TransactionAbortedError,
  TransactionTimedOutError,
} from './errors.js'
import { type OutgoingRecord, ProduceFailure } from './producer-client.js'
import type { SinkCheckpoint, SinkTransaction } from './sink-types.js'
import {
  exactlyOnceSinkOn,
  exactlyOnceTestOptions,
  FakeTransactionalBroker,
} from './test-support/fake-transactional-broker.js'
import type { TransactionalSink } from './transactional-sink.js'

const envelope = (id: number) =>
  encodeEnvelope({
    id: `id-${id}`,
    createdAt: 1n,
    aggregateType: 'order',
    aggregateId: `order-${id % 3}`,
    eventType: 'order.placed',
    payload: new Uint8Array([id % 256]),
    metadata: {},
  })

interface WalTransaction {
  end: bigint
  facts: number[]
}

/** A transaction's commit record, 10 bytes before its end; its facts right before that. */
const commitOf = (tx: WalTransaction) => tx.end - 10n
const factLsn = (tx: WalTransaction, index: number) => commitOf(tx) - BigInt(tx.facts.length - index)

/**
 * The transactions as the relay hands them after `checkpoint` (skipping what a checkpoint inside a
 * transaction holds): parts of at most `chunk` facts before the whole, naming their commit LSN
 * unless `anonymous` (a caller that does not say, which the sink never splits).
 */
function handings(wal: WalTransaction[], chunk: number, checkpoint: SinkCheckpoint, anonymous = false) {
  const out: SinkTransaction[] = []
  let previousEnd = checkpoint.endLsn
  for (const tx of wal) {
    if (tx.end <= checkpoint.endLsn) continue
    const commitLsn = anonymous ? undefined : commitOf(tx)
    const facts = tx.facts
      .map((id, index) => ({ prefix: 'shop', lsn: factLsn(tx, index), value: envelope(id) }))
      .filter((fact) => checkpoint.inside?.commitLsn !== commitOf(tx) || fact.lsn > checkpoint.inside.factLsn)
    while (facts.length > chunk) {
      out.push({ endLsn: previousEnd, complete: false, commitLsn, facts: facts.splice(0, chunk) })
    }
    out.push({ endLsn: tx.end, complete: true, commitLsn, facts })
    previousEnd = tx.end
  }
  return out
}

const options = exactlyOnceTestOptions
const fastBackoff = { initialMs: 1, maxMs: 2, jitter: 0 }

/**
 * Drives the sink like the relay: resume, send from the checkpoint on, resume again when lost;
 * `pauseMs` between sends, like a relay reading a large transaction slowly.
 */
async function relay(sink: TransactionalSink, wal: WalTransaction[], chunk: number, pauseMs = 0) {
  let lost = false
  sink.onLost(() => {
    lost = true
  })
  const lastEnd = wal.at(-1)!.end
  for (let sessions = 0; sessions < 200; sessions++) {
    lost = false
    const checkpoint = await sink.resume()
    if (checkpoint.endLsn >= lastEnd) return sessions
    try {
      for (const tx of handings(wal, chunk, checkpoint)) {
        if (lost) break
        await sink.send(tx)
        if (pauseMs > 0) await new Promise((resolve) => setTimeout(resolve, pauseMs))
      }
      if (!lost) await sink.drain(5_000)
    } catch (error) {
      // A send refused because the transaction was lost, after the sink said so: resume. Anything
      // else (a RangeError for a transaction out of WAL order, say) is a failure of the test.
      const refusedForLoss =
        error instanceof TransactionAbortedError || error instanceof TransactionTimedOutError
      if (!(lost && refusedForLoss)) throw error
    }
    if (!lost && sink.deliveredLsn >= lastEnd) return sessions
  }
  throw new Error('never delivered everything')
}

describe('TransactionalSink', () => {
  it('commits each fact exactly once, with the checkpoint, whatever fails in between', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: 6 }), { minLength: 1, maxLength: 25 }),
        fc.integer({ min: 1, max: 4 }),
        fc.double({ min: 0, max: 0.25, noNaN: true }),
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        fc.boolean(),
        async (sizes, chunk, failureRate, seed, prepares) => {
          let id = 0
          const wal = sizes.map((size, index) => ({
            end: BigInt(100 * (index + 1)),
            facts: Array.from({ length: size }, () => id++),
          }))
          // Whether the client keeps records prepared (opaque to the sink) as kafkajs does.
          const broker = new FakeTransactionalBroker({ prepares })
          let state = seed
          const random = () => {
            state = (state * 1103515245 + 12345) & 0x7fffffff
            return state / 0x7fffffff
          }
          broker.fail = (operation) => {
            if (operation === 'read' || operation === 'init') return undefined
            const roll = random()
            if (roll < failureRate / 2) return 'transient'
            if (roll < failureRate) return 'producer-state'
            return undefined
          }
          const sink = exactlyOnceSinkOn(options, () => broker.client(), fastBackoff)
          await sink.connect()
          await relay(sink, wal, chunk)
          await sink.close()
          const facts = broker.committed.filter((r) => r.topic === 'shop.order')
          const ids = facts.map((r) => decodeId(r))
          expect(ids).toEqual(wal.flatMap((tx) => tx.facts.map((f) => `id-${f}`)))
          const checkpoints = broker.committed
            .filter((r) => r.topic === 'shop.owlpost-checkpoints')
            .map((r) => r.value!.toString())
          expect(checkpoints.at(-1)).toBe(`0/${wal.at(-1)!.end.toString(16).toUpperCase()}`)
        },
      ),
      { numRuns: 100 },
    )
  })

  it('never commits after a part of a transaction, however long it waits', async () => {
    const broker = new FakeTransactionalBroker()
    const sink = exactlyOnceSinkOn(options, () => broker.client(), fastBackoff)
    await sink.connect()
    await sink.resume()
    await sink.send({
      endLsn: 0n,
      complete: false,
      facts: [{ prefix: 'shop', lsn: 10n, value: envelope(1) }],
    })
    await new Promise((resolve) => setTimeout(resolve, 30))
    expect(broker.commits).toBe(0)
    await sink.send({
      endLsn: 100n,
      complete: true,
      facts: [{ prefix: 'shop', lsn: 20n, value: envelope(2) }],
    })
    // A whole transaction, then a part of the next one: only the first may commit.
    await sink.send({
      endLsn: 100n,
      complete: false,
      facts: [{ prefix: 'shop', lsn: 110n, value: envelope(3) }],
    })
    await new Promise((resolve) => setTimeout(resolve, 30))
    expect(broker.committed.filter((r) => r.topic === 'shop.order').map(decodeId)).toEqual(['id-1', 'id-2'])
    expect(sink.deliveredLsn).toBe(100n)
    await sink.send({ endLsn: 200n, complete: true, facts: [] })
    expect(await sink.drain(1_000)).toBe(true)
    expect(broker.committed.filter((r) => r.topic === 'shop.order').map(decodeId)).toEqual([
      'id-1',
      'id-2',
      'id-3',
    ])
    expect(sink.deliveredLsn).toBe(200n)
    await sink.close()
  })

  it('refuses, before connecting, a compression the client has no codec for, as the at-least-once sink does', async () => {
    const broker = new FakeTransactionalBroker({ codecs: ['none', 'zstd'] })
    let connects = 0
    const sink = exactlyOnceSinkOn({ ...options, compression: 'snappy' }, () => ({
      ...broker.client(),
      connect: async () => {
        connects++
      },
    }))
    const connecting = sink.connect()
    await expect(connecting).rejects.toBeInstanceOf(KafkaSinkConfigError)
    await expect(connecting).rejects.toThrow("option 'compression': no snappy codec in this fake client")
    expect(connects).toBe(0)
    const zstd = exactlyOnceSinkOn({ ...options, compression: 'zstd' }, () => broker.client())
    await expect(zstd.connect()).resolves.toBeUndefined()
    await zstd.close()
  })

  it('waits between attempts to resume, in the first session and in every later one', async () => {
    const broker = new FakeTransactionalBroker()
    const sink = exactlyOnceSinkOn(options, () => broker.client(), { initialMs: 50, maxMs: 50, jitter: 0 })
    await sink.connect()
    for (const session of [1, 2]) {
      let inits = 0
      broker.fail = (operation) => (operation === 'init' && ++inits <= 3 ? 'transient' : undefined)
      const started = performance.now()
      await sink.resume()
      expect(inits, `session ${session}`).toBe(4)
      // Three failures, 50 ms after each.
      expect(performance.now() - started, `session ${session}`).toBeGreaterThanOrEqual(145)
    }
    await sink.close()
  })

  it('stays closed when close() comes while a connect() is failing', async () => {
    const broker = new FakeTransactionalBroker()
    let attempts = 0
    const sink = exactlyOnceSinkOn(options, () => ({
      ...broker.client(),
      connect: async () => {
        if (++attempts === 1) {
          await new Promise((resolve) => setTimeout(resolve, 20))
          throw new Error('broker unreachable')
        }
      },
    }))
    const connecting = sink.connect()
    await sink.close()
    await expect(connecting).rejects.toThrow('broker unreachable')
    await expect(sink.connect()).rejects.toBeInstanceOf(SinkClosedError)
    expect(attempts).toBe(1)
  })

  it('stops for good when fenced: the relay is told it is fatal, and nothing more is written', async () => {
    const broker = new FakeTransactionalBroker()
    const sink = exactlyOnceSinkOn(
      { ...options, exactlyOnce: { ...options.exactlyOnce, commitIntervalMs: 50 } },
      () => broker.client(),
      fastBackoff,
    )
    const lost: boolean[] = []
    sink.onLost((_error, fatal) => lost.push(fatal))
    await sink.connect()
    await sink.resume()
    await sink.send({ endLsn: 100n, facts: [{ prefix: 'shop', lsn: 10n, value: envelope(1) }] })
    broker.fenced = true
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(lost).toEqual([true])
    expect(broker.committed).toEqual([])
    await expect(sink.send({ endLsn: 200n, facts: [] })).rejects.toBeInstanceOf(ProducerFencedError)
    await expect(sink.resume()).rejects.toBeInstanceOf(ProducerFencedError)
    await sink.close()
  })

  it('splits a PostgreSQL transaction too slow for one Kafka transaction, each fact still committed once', {
    timeout: 60_000,
  }, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 0, maxLength: 4 }),
        fc.integer({ min: 40, max: 80 }),
        fc.integer({ min: 1, max: 2 }),
        fc.double({ min: 0, max: 0.1, noNaN: true }),
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        async (small, large, chunk, failureRate, seed) => {
          let id = 0
          // Small transactions around one whose hand-over (20 sends or more, every 10 ms) outlasts the
          // timeout; the timeout is long enough that a busy test machine does not miss the split.
          const sizes = [...small.slice(0, 2), large, ...small.slice(2)]
          const wal = sizes.map((size, index) => ({
            end: BigInt(1000 * (index + 1)),
            facts: Array.from({ length: size }, () => id++),
          }))
          const broker = new FakeTransactionalBroker()
          broker.timeoutMs = 150
          let state = seed
          const random = () => {
            state = (state * 1103515245 + 12345) & 0x7fffffff
            return state / 0x7fffffff
          }
          broker.fail = (operation) =>
            operation !== 'read' && operation !== 'init' && random() < failureRate ? 'transient' : undefined
          const sink = exactlyOnceSinkOn(
            { ...options, exactlyOnce: { ...options.exactlyOnce, transactionTimeoutMs: 150 } },
            () => broker.client(),
            fastBackoff,
          )
          await sink.connect()
          await relay(sink, wal, chunk, 10)
          await sink.close()
          const ids = broker.committed.filter((r) => r.topic === 'shop.order').map(decodeId)
          expect(ids).toEqual(wal.flatMap((tx) => tx.facts.map((f) => `id-${f}`)))
          // Split in time: the coordinator never had to abort a transaction for its age.
          expect(broker.timeouts).toBe(0)
          const checkpoints = broker.committed
            .filter((r) => r.topic === 'shop.owlpost-checkpoints')
            .map((r) => r.value!.toString())
          expect(checkpoints.some((value) => value.includes(';commit='))).toBe(true)
          expect(checkpoints.at(-1)).toBe(`0/${wal.at(-1)!.end.toString(16).toUpperCase()}`)
        },
      ),
      { numRuns: 10 },
    )
  })

  it('checkpoints a split inside the transaction, without reporting its end as delivered', async () => {
    const broker = new FakeTransactionalBroker()
    const settings = { ...options, exactlyOnce: { ...options.exactlyOnce, transactionTimeoutMs: 90 } }
    const sink = exactlyOnceSinkOn(settings, () => broker.client(), fastBackoff)
    const reported: bigint[] = []
    sink.onDelivered((lsn) => reported.push(lsn))
    await sink.connect()
    await sink.resume()
    await sink.send({ endLsn: 0x100n, complete: true, commitLsn: 0xf0n, facts: [] })
    // The next transaction commits at 0x300; its facts come slowly, in parts.
    for (let n = 0; n < 8; n++) {
      const facts = [{ prefix: 'shop', lsn: 0x200n + BigInt(n), value: envelope(n) }]
      await sink.send({ endLsn: 0x100n, complete: false, commitLsn: 0x300n, facts })
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
    const split = broker.committed
      .filter((r) => r.topic === 'shop.owlpost-checkpoints')
      .map((r) => r.value!.toString())
      .filter((value) => value.includes(';'))
      .at(-1)
    const committedFacts = broker.committed.filter((r) => r.topic === 'shop.order').map(decodeId)
    expect(committedFacts.length).toBeGreaterThan(0)
    expect(committedFacts.length).toBeLessThan(8)
    // The last whole end, the transaction by its commit LSN, and its last fact committed.
    expect(split).toBe(
      `0/100;commit=0/300;fact=0/${(0x200 + committedFacts.length - 1).toString(16).toUpperCase()}`,
    )
    expect(sink.deliveredLsn).toBe(0x100n)
    expect(reported.every((lsn) => lsn <= 0x100n)).toBe(true)
    await sink.close()
    // The next session resumes inside the transaction.
    const next = exactlyOnceSinkOn(settings, () => broker.client(), fastBackoff)
    await next.connect()
    expect(await next.resume()).toEqual({
      endLsn: 0x100n,
      inside: { commitLsn: 0x300n, factLsn: 0x200n + BigInt(committedFacts.length - 1) },
    })
    await next.close()
  })

  it('reports a transaction the broker aborted for its age as timed out, not fenced, and resumes', async () => {
    const broker = new FakeTransactionalBroker()
    broker.timeoutMs = 40
    const sink = exactlyOnceSinkOn(
      { ...options, exactlyOnce: { ...options.exactlyOnce, transactionTimeoutMs: 40 } },
      () => broker.client(),
      fastBackoff,
    )
    const lost: Array<[Error, boolean]> = []
    const aborted: Error[] = []
    sink.onLost((error, fatal) => lost.push([error, fatal]))
    await sink.connect()
    await sink.resume()
    // Parts that do not say which transaction they belong to: the sink cannot split them.
    const part = (n: number): SinkTransaction => ({
      endLsn: 0n,
      complete: false,
      facts: [{ prefix: 'shop', lsn: 0x200n + BigInt(n), value: envelope(n) }],
    })
    await sink.send(part(0))
    await new Promise((resolve) => setTimeout(resolve, 60))
    await sink.send(part(1)).catch((error: unknown) => aborted.push(error as Error))
    await new Promise((resolve) => setTimeout(resolve, 30))
    expect(broker.timeouts).toBe(1)
    expect(lost).toHaveLength(1)
    const [error, fatal] = lost[0]!
    expect(error).toBeInstanceOf(TransactionTimedOutError)
    expect(error).not.toBeInstanceOf(ProducerFencedError)
    expect(error.message).toMatch(/longer than transaction.timeout.ms \(40 ms\)/)
    expect(fatal).toBe(false)
    // Not stopped: the next session registers the transactional id again and goes on.
    expect(await sink.resume()).toEqual({ endLsn: 0n })
    await sink.send({ endLsn: 0x300n, complete: true, facts: [] })
    expect(await sink.drain(1_000)).toBe(true)
    expect(sink.deliveredLsn).toBe(0x300n)
    await sink.close()
  })

  it('dead-letters a record the broker refuses, found alone after a resend, in the next transaction', async () => {
    const broker = new FakeTransactionalBroker()
    const client = broker.client()
    const refused = envelope(7)
    const produce = client.produce
    client.produce = async (records) => {
      if (records.some((r) => r.topic === 'shop.order' && r.value?.equals(refused))) {
        throw new ProduceFailure('record-rejected', 'MESSAGE_TOO_LARGE', 'too large')
      }
      return produce(records)
    }
    const sink = exactlyOnceSinkOn(options, () => client, fastBackoff)
    await sink.connect()
    const wal = [
      { end: 100n, facts: [6, 7, 8] },
      { end: 200n, facts: [9] },
    ]
    await relay(sink, wal, 10)
    const order = broker.committed.filter((r) => r.topic === 'shop.order').map(decodeId)
    const deadLetters = broker.committed.filter((r) => r.topic === 'shop.dead-letter')
    expect(order).toEqual(['id-6', 'id-8', 'id-9'])
    expect(deadLetters).toHaveLength(1)
    expect(deadLetters[0]!.headers.error).toMatch(/MESSAGE_TOO_LARGE|too large/)
    await sink.close()
  })
})

function decodeId(record: OutgoingRecord): string {
  return record.headers.event_id!
}
