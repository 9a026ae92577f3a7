import { encodeEnvelope, uuidV7 } from '@factlib/core/wire'
import { silentLogger } from '@factlib/wal'
import type { EachBatchPayload, KafkaMessage } from 'kafkajs'
import { describe, expect, it } from 'vitest'
import { ConcurrencyLimit } from '../concurrency-limit.js'
import { HandlerTable, handlerBuilder } from '../fact-handlers.js'
import type { FactStore } from '../fact-store.js'
import type { RecordProcessor } from '../process-record.js'
import { batchHandler } from './batch-handler.js'

// The rebalance path against a fake kafkajs payload and a fake store (the real ones are in
// consume-facts.test.ts and the e2e test): once the heartbeat announces a rebalance, nothing new
// starts, what runs finishes, only finished offsets are resolved, and the error goes back to kafkajs.

const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

function message(offset: number, key: string): KafkaMessage {
  const value = encodeEnvelope({
    id: uuidV7(),
    createdAt: 0n,
    aggregateType: 'order',
    aggregateId: key,
    eventType: 'order.placed',
    payload: new Uint8Array(),
    metadata: {},
  })
  return {
    offset: String(offset),
    key: Buffer.from(key),
    value: Buffer.from(value),
    headers: {},
    timestamp: '0',
    attributes: 0,
  } as KafkaMessage
}

function setUp(applyMs: (key: string) => number) {
  const started: string[] = []
  const committed: string[] = []
  const store: FactStore<null> = {
    description: 'fake',
    prepare: async () => {},
    prune: async () => 0,
    async applyOnce(_group, _key, apply) {
      await apply(null)
      return 'applied'
    },
  }
  const processor: RecordProcessor<null> = {
    consumerGroup: 'g',
    handlers: new HandlerTable([
      handlerBuilder<null>().event('order.placed', async ({ record }) => {
        started.push(record.offset)
        await tick(applyMs(record.key?.toString() ?? ''))
        committed.push(record.offset)
      }),
    ]),
    store,
    deadLetterTopic: () => 'dlt',
    sendDeadLetter: async () => {},
    tracing: false,
    retry: { initialMs: 1, maxMs: 1, jitter: 0 },
    logger: silentLogger,
    hooks: {},
    signal: new AbortController().signal,
  }
  return { started, committed, processor }
}

describe('the batch handler', () => {
  it('on a rebalance finishes what runs, starts nothing more, resolves only finished offsets and rethrows', async () => {
    // Two keys, four records each, interleaved in the log; b's finish before a's.
    const { started, committed, processor } = setUp((key) => (key === 'a' ? 60 : 10))
    const messages = Array.from({ length: 8 }, (_, offset) => message(offset, offset % 2 === 0 ? 'a' : 'b'))
    const resolved: string[] = []
    let heartbeats = 0
    const rebalance = Object.assign(new Error('The group is rebalancing'), { type: 'REBALANCE_IN_PROGRESS' })
    const payload = {
      batch: { topic: 't', partition: 0, messages },
      resolveOffset: (offset: string) => resolved.push(offset),
      heartbeat: async () => {
        heartbeats++
        if (heartbeats >= 2) throw rebalance
      },
      commitOffsetsIfNecessary: async () => {
        throw new Error('must not commit after a rebalance')
      },
      isRunning: () => true,
      isStale: () => false,
    } as unknown as EachBatchPayload
    const handle = batchHandler({
      processor,
      limit: new ConcurrencyLimit(4),
      heartbeatIntervalMs: 30,
      logger: silentLogger,
      stopping: () => false,
    })
    await expect(handle(payload)).rejects.toBe(rebalance)
    // Some records ran, not all; every record started also finished.
    expect(started.length).toBeGreaterThan(0)
    expect(started.length).toBeLessThan(messages.length)
    expect([...committed].sort()).toEqual([...started].sort())
    // Resolved offsets only grow, and cover only records finished with every one before them.
    const last = Number(resolved.at(-1) ?? -1)
    for (let offset = 0; offset <= last; offset++) expect(committed).toContain(String(offset))
    expect(resolved.map(Number)).toEqual([...resolved.map(Number)].sort((x, y) => x - y))
  })

  it('without a rebalance applies every record, each key in order, and commits the batch', async () => {
    const { started, committed, processor } = setUp(() => 5)
    const messages = Array.from({ length: 12 }, (_, offset) => message(offset, `k${offset % 3}`))
    const resolved: string[] = []
    let commits = 0
    const payload = {
      batch: { topic: 't', partition: 0, messages },
      resolveOffset: (offset: string) => resolved.push(offset),
      heartbeat: async () => {},
      commitOffsetsIfNecessary: async () => {
        commits++
      },
      isRunning: () => true,
      isStale: () => false,
    } as unknown as EachBatchPayload
    await batchHandler({
      processor,
      limit: new ConcurrencyLimit(3),
      heartbeatIntervalMs: 1_000,
      logger: silentLogger,
      stopping: () => false,
    })(payload)
    expect(committed).toHaveLength(12)
    for (const key of [0, 1, 2]) {
      const ofKey = started.filter((offset) => Number(offset) % 3 === key)
      expect(ofKey.map(Number)).toEqual([...ofKey.map(Number)].sort((x, y) => x - y))
    }
    expect(resolved.at(-1)).toBe('11')
    expect(commits).toBe(1)
  })
})
