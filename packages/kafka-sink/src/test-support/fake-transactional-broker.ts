import type { BackoffSettings } from '@factlib/wal'
import { createSinkOnClient } from '../index.js'
import {
  type OutgoingRecord,
  ProduceFailure,
  type ProduceFailureKind,
  type TransactionalProducerClient,
} from '../producer-client.js'
import type { KafkaSinkOptions } from '../sink-types.js'
import { TransactionalSink } from '../transactional-sink.js'
import {
  type FakeBrokerBehaviour,
  fakeCompressionUnavailable,
  fakePrepare,
  requestSizeOf,
  unprepared,
} from './fake-producer-client.js'

/**
 * An in-memory transactional broker: records written in a transaction become visible (to a
 * read_committed reader) at commit and vanish at abort. `failNext` makes operations fail.
 */
export class FakeTransactionalBroker {
  readonly committed: OutgoingRecord[] = []
  pending: OutgoingRecord[] = []
  open = false
  fenced = false
  commits = 0
  aborts = 0
  /** The largest produce request received (requestSizeOf), and how many were over maxRequestBytes. */
  largestRequest = 0
  oversizedRequests = 0
  /** Like transaction.timeout.ms: a transaction open longer is aborted and the epoch bumped. */
  timeoutMs = Number.POSITIVE_INFINITY
  /** How long each produce takes. */
  produceDelayMs = 0
  /** Transactions the coordinator aborted for their age. */
  timeouts = 0
  /** When the open transaction's first records were added (the coordinator's clock). */
  #startedAt: number | undefined
  /** The coordinator aborted the open transaction for its age: fenced until the next init. */
  #timedOut = false
  /** Decides, per operation, whether it fails and how. */
  fail: (operation: string) => ProduceFailureKind | undefined = () => undefined

  constructor(readonly behaviour: Omit<FakeBrokerBehaviour, 'random'> = {}) {}

  client(): TransactionalProducerClient {
    const check = (operation: string) => {
      if (this.fenced) throw new ProduceFailure('fenced', 'INVALID_PRODUCER_EPOCH', 'fenced')
      if (
        this.open &&
        this.#startedAt !== undefined &&
        performance.now() - this.#startedAt > this.timeoutMs
      ) {
        this.pending = []
        this.open = false
        this.#startedAt = undefined
        this.#timedOut = true
        this.timeouts++
      }
      if (this.#timedOut && operation !== 'init' && operation !== 'read') {
        throw new ProduceFailure('fenced', 'INVALID_PRODUCER_EPOCH', 'the epoch was bumped')
      }
      const kind = this.fail(operation)
      if (kind) throw new ProduceFailure(kind, undefined, `${operation} failed (${kind})`)
    }
    return {
      compressionUnavailable: (compression) => fakeCompressionUnavailable(this.behaviour, compression),
      ...(this.behaviour.prepares ? { prepare: fakePrepare } : {}),
      connect: async () => {},
      disconnect: async () => {},
      resetProducer: async () => {},
      createTopics: async () => {},
      maxMessageBytes: async (topics) => {
        const limits = new Map<string, number>()
        for (const topic of topics) {
          const limit = this.behaviour.limits?.get(topic)
          if (limit !== undefined) limits.set(topic, limit)
        }
        return limits
      },
      brokerLimits: async () =>
        this.behaviour.describesBrokers === false ? {} : { maxRequestBytes: this.behaviour.maxRequestBytes },
      missingTopics: async () => [],
      createCompactedTopic: async () => {},
      initTransactions: async () => {
        check('init')
        this.#timedOut = false
        this.#startedAt = undefined
        this.pending = []
        this.open = false
      },
      beginTransaction: async () => {
        check('begin')
        this.open = true
      },
      produce: async (given) => {
        const records = unprepared(given)
        if (this.produceDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.produceDelayMs))
        else await new Promise((resolve) => setImmediate(resolve))
        check('produce')
        if (!this.open) throw new Error('produce outside a transaction')
        const size = requestSizeOf(records)
        this.largestRequest = Math.max(this.largestRequest, size)
        if (size > (this.behaviour.maxRequestBytes ?? Number.POSITIVE_INFINITY)) {
          this.oversizedRequests++
          throw new ProduceFailure('transient', undefined, 'Connection error: write EPIPE')
        }
        if (records.some((record) => this.behaviour.refuses?.(record))) {
          throw new ProduceFailure('record-rejected', 'MESSAGE_TOO_LARGE', 'record too large')
        }
        this.#startedAt ??= performance.now()
        this.pending.push(...records)
      },
      commitTransaction: async () => {
        check('commit')
        this.committed.push(...this.pending)
        this.pending = []
        this.open = false
        this.#startedAt = undefined
        this.commits++
      },
      abortTransaction: async () => {
        check('abort')
        if (this.open) this.aborts++
        this.#startedAt = undefined
        this.pending = []
        this.open = false
      },
      readLatestCommitted: async (topic, key) => {
        check('read')
        const last = this.committed.filter((r) => r.topic === topic && r.key?.toString() === key).at(-1)
        return last?.value ?? undefined
      },
    }
  }
}

/** Exactly-once sink options for tests against this broker: quick commits and idle checkpoints. */
export const exactlyOnceTestOptions = {
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

/**
 * The exactly-once sink on a fake client, built through the package's public createSinkOnClient
 * as any other client's user builds it (typed as the class, for the tests' sake).
 */
export function exactlyOnceSinkOn(
  options: KafkaSinkOptions,
  createClient: () => TransactionalProducerClient,
  backoff?: BackoffSettings,
): TransactionalSink {
  const sink = createSinkOnClient({ ...options, deliveryGuarantee: 'exactly-once' }, createClient, backoff)
  if (!(sink instanceof TransactionalSink)) throw new Error('createSinkOnClient built another sink')
  return sink
}
