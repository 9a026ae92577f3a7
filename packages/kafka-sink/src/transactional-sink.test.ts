import { encodeEnvelope } from '@factlib/core/wire'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { ProducerFencedError } from './errors.js'
import { type OutgoingRecord, ProduceFailure } from './producer-client.js'
import type { SinkTransaction } from './sink-types.js'
import { FakeTransactionalBroker } from './test-support/fake-transactional-broker.js'
import { TransactionalSink } from './transactional-sink.js'

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

/** The transactions as the relay hands them: parts of at most `chunk` facts before the whole. */
function handings(wal: WalTransaction[], chunk: number, checkpoint: bigint): SinkTransaction[] {
  const out: SinkTransaction[] = []
  let previousEnd = checkpoint
  for (const tx of wal) {
    if (tx.end <= checkpoint) continue
    // Each fact its own LSN, below its transaction's end.
    const facts = tx.facts.map((id, index) => ({
      prefix: 'shop',
      lsn: tx.end - 50n + BigInt(index),
      value: envelope(id),
    }))
    while (facts.length > chunk) {
      out.push({ endLsn: previousEnd, complete: false, facts: facts.splice(0, chunk) })
    }
    out.push({ endLsn: tx.end, complete: true, facts })
    previousEnd = tx.end
  }
  return out
}

const options = {
  brokers: ['fake:9092'],
  deliveryGuarantee: 'exactly-once' as const,
  exactlyOnce: {
    transactionalId: 'owlpost.test',
    checkpointTopic: 'shop.owlpost-checkpoints',
    checkpointKey: 'slot',
    commitIntervalMs: 1,
    idleCheckpointMs: 1,
  },
}
const fastBackoff = { initialMs: 1, maxMs: 2, jitter: 0 }

/** Drives the sink like the relay: resume, send from the checkpoint on, resume again when lost. */
async function relay(sink: TransactionalSink, wal: WalTransaction[], chunk: number) {
  let lost = false
  sink.onLost(() => {
    lost = true
  })
  const lastEnd = wal.at(-1)!.end
  for (let sessions = 0; sessions < 200; sessions++) {
    lost = false
    const checkpoint = await sink.resume()
    if (checkpoint >= lastEnd) return sessions
    try {
      for (const tx of handings(wal, chunk, checkpoint)) {
        if (lost) break
        await sink.send(tx)
      }
      if (!lost) await sink.drain(5_000)
    } catch {
      // A send refused because the transaction was lost: resume.
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
        async (sizes, chunk, failureRate, seed) => {
          let id = 0
          const wal = sizes.map((size, index) => ({
            end: BigInt(100 * (index + 1)),
            facts: Array.from({ length: size }, () => id++),
          }))
          const broker = new FakeTransactionalBroker()
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
          const sink = new TransactionalSink(options, () => broker.client(), fastBackoff)
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
    const sink = new TransactionalSink(options, () => broker.client(), fastBackoff)
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

  it('stops for good when fenced: the relay is told it is fatal, and nothing more is written', async () => {
    const broker = new FakeTransactionalBroker()
    const sink = new TransactionalSink(
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
    const sink = new TransactionalSink(options, () => client, fastBackoff)
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
