import type { BrokerLimits, OutgoingRecord, ProducerClient, TopicSettings } from '../producer-client.js'
import { ProduceFailure } from '../producer-client.js'
import type { CompressionName } from '../sink-types.js'

export interface FakeBrokerBehaviour {
  /** Seeded randomness, so fast-check can shrink failures. */
  random: () => number
  transientRate?: number
  producerStateRate?: number
  /** Records the broker refuses for good (e.g. too large for their topic). */
  refuses?: (record: OutgoingRecord) => boolean
  /** Topics that do not exist (and are not created). */
  missing?: Set<string> | undefined
  /** max.message.bytes the broker tells per topic. */
  limits?: Map<string, number>
  /**
   * The broker's socket.request.max.bytes: a larger produce request is answered, as a real broker
   * does, by closing the connection, which the client reports as a transient failure.
   */
  maxRequestBytes?: number
  /** Whether brokerLimits() tells maxRequestBytes (a cluster may not allow describing brokers). Default true. */
  describesBrokers?: boolean
  /** The compressions the client has codecs for. Default all. */
  codecs?: readonly CompressionName[]
  /**
   * Whether the client prepares records when they are accepted, as kafkajs/client.ts does: the
   * record then reads as empty (only its topic and partition remain) until produce() unwraps it.
   */
  prepares?: boolean
}

/** Why a fake client cannot compress with `compression`, as ProducerClient.compressionUnavailable. */
export function fakeCompressionUnavailable(
  behaviour: Pick<FakeBrokerBehaviour, 'codecs'>,
  compression: CompressionName,
): string | undefined {
  const codecs = behaviour.codecs
  return codecs === undefined || codecs.includes(compression)
    ? undefined
    : `no ${compression} codec in this fake client`
}

const preparedFrom = Symbol('prepared from')

/** A record as a preparing client keeps it: nothing readable but its topic and partition. */
export function fakePrepare(record: OutgoingRecord): OutgoingRecord {
  const prepared = {
    topic: record.topic,
    key: null,
    value: null,
    headers: {},
    ...(record.partition === undefined ? {} : { partition: record.partition }),
    [preparedFrom]: record,
  }
  return prepared
}

/** The records as the client was given them before they were prepared. */
export function unprepared(records: readonly OutgoingRecord[]): OutgoingRecord[] {
  return records.map((record) => (record as { [preparedFrom]?: OutgoingRecord })[preparedFrom] ?? record)
}

/**
 * At least what a produce request of these records takes on the wire, counted the broker's way:
 * request and topic headers, a record batch per partition, each record with its varints at their
 * widest. Independent of the sink's own estimates, so a test sees what the sink really sends.
 */
export function requestSizeOf(records: readonly OutgoingRecord[]): number {
  let size = 64
  const topics = new Set<string>()
  const partitions = new Set<string>()
  for (const record of records) {
    topics.add(record.topic)
    partitions.add(`${record.topic}/${partitionOf(record)}`)
    size += recordSizeOf(record)
  }
  for (const topic of topics) size += 8 + Buffer.byteLength(topic)
  return size + partitions.size * (16 + recordBatchHeader)
}

/** What a broker compares with max.message.bytes: the record batch holding these records alone. */
export function batchSizeOf(records: readonly OutgoingRecord[]): number {
  let size = recordBatchHeader
  for (const record of records) size += recordSizeOf(record)
  return size
}

const recordBatchHeader = 61

function recordSizeOf(record: OutgoingRecord): number {
  let size = 36 + (record.key?.byteLength ?? 0) + (record.value?.byteLength ?? 0)
  for (const [name, value] of Object.entries(record.headers))
    size += 10 + Buffer.byteLength(name) + Buffer.byteLength(value)
  return size
}

function partitionOf(record: OutgoingRecord): number {
  return record.partition ?? (record.key?.toString() ?? '').length % 6
}

/**
 * An in-memory broker behind the ProducerClient interface. It answers after a random delay, fails
 * at random, and, like a real multi-partition request, may have written some partitions of a
 * request that then fails (which is why the sink may see duplicates, never losses).
 */
export class FakeProducerClient implements ProducerClient {
  readonly topics = new Map<string, OutgoingRecord[]>()
  readonly created: string[] = []
  resets = 0
  produceCalls = 0
  /** The largest produce request received (requestSizeOf), and how many were over maxRequestBytes. */
  largestRequest = 0
  oversizedRequests = 0
  connected = false
  /** While set, produce() waits for it: lets a test hold the broker still. */
  gate: Promise<void> | undefined
  /** Called before each produce answers: a test checks its invariants here. */
  onProduce: (() => void) | undefined

  readonly prepare: ((record: OutgoingRecord) => OutgoingRecord) | undefined

  constructor(readonly behaviour: FakeBrokerBehaviour) {
    this.prepare = behaviour.prepares ? fakePrepare : undefined
  }

  compressionUnavailable(compression: CompressionName): string | undefined {
    return fakeCompressionUnavailable(this.behaviour, compression)
  }

  async connect(): Promise<void> {
    this.connected = true
  }

  async produce(given: readonly OutgoingRecord[]): Promise<void> {
    const records = unprepared(given)
    this.produceCalls += 1
    this.onProduce?.()
    await this.gate
    const size = requestSizeOf(records)
    this.largestRequest = Math.max(this.largestRequest, size)
    if (size > (this.behaviour.maxRequestBytes ?? Number.POSITIVE_INFINITY)) {
      // What kafkajs reports when the broker drops the connection in the middle of the request.
      this.oversizedRequests += 1
      throw new ProduceFailure('transient', undefined, 'Connection error: write EPIPE')
    }
    const { random } = this.behaviour
    for (let i = Math.floor(random() * 3); i > 0; i--) await new Promise((resolve) => setImmediate(resolve))
    const missing = records.find((record) => this.behaviour.missing?.has(record.topic))
    if (missing) throw new ProduceFailure('topic-missing', 'UNKNOWN_TOPIC_OR_PARTITION', 'no such topic')
    const byPartition = new Map<string, OutgoingRecord[]>()
    for (const record of records) {
      const partition = `${record.topic}/${partitionOf(record)}`
      const list = byPartition.get(partition) ?? []
      list.push(record)
      byPartition.set(partition, list)
    }
    const refused = records.find((record) => this.behaviour.refuses?.(record))
    if (random() < (this.behaviour.transientRate ?? 0)) {
      // Some partitions may have been written before the failure (never the refused record).
      for (const list of byPartition.values()) {
        if (random() < 0.3 && !(refused && list.includes(refused))) this.#append(list)
      }
      throw new ProduceFailure('transient', 'NOT_LEADER_FOR_PARTITION', 'leader moved')
    }
    if (refused) {
      // The other partitions of the request are written; only the refusing one is not.
      for (const list of byPartition.values()) if (!list.includes(refused)) this.#append(list)
      throw new ProduceFailure('record-rejected', 'MESSAGE_TOO_LARGE', 'record too large')
    }
    if (random() < (this.behaviour.producerStateRate ?? 0)) {
      throw new ProduceFailure('producer-state', 'OUT_OF_ORDER_SEQUENCE_NUMBER', 'sequence lost')
    }
    for (const list of byPartition.values()) this.#append(list)
  }

  async resetProducer(): Promise<void> {
    this.resets += 1
  }

  async createTopics(topics: readonly string[], _settings: TopicSettings): Promise<void> {
    this.created.push(...topics)
  }

  async maxMessageBytes(topics: readonly string[]): Promise<Map<string, number>> {
    const limits = new Map<string, number>()
    for (const topic of topics) {
      const limit = this.behaviour.limits?.get(topic)
      if (limit !== undefined) limits.set(topic, limit)
    }
    return limits
  }

  async brokerLimits(): Promise<BrokerLimits> {
    if (this.behaviour.describesBrokers === false) return {}
    return { maxRequestBytes: this.behaviour.maxRequestBytes }
  }

  async missingTopics(topics: readonly string[]): Promise<string[]> {
    return topics.filter((topic) => this.behaviour.missing?.has(topic))
  }

  async disconnect(): Promise<void> {
    this.connected = false
  }

  /** Every record written, with a header value, in append order. */
  recordsWith(header: string, value: string): OutgoingRecord[] {
    return [...this.topics.values()].flat().filter((record) => record.headers[header] === value)
  }

  #append(records: OutgoingRecord[]): void {
    for (const record of records) {
      const log = this.topics.get(record.topic) ?? []
      log.push(record)
      this.topics.set(record.topic, log)
    }
  }
}
