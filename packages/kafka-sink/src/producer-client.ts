/// <reference types="node" preserve="true" />
import type * as tls from 'node:tls'
import type { Logger } from './logger.js'
import type { CompressionName } from './sink-types.js'

/**
 * The little the sink needs from a Kafka client: the seam between the sinks and kafkajs. Only the
 * kafkajs/ folder knows kafkajs (kafkajs/client.ts implements this); another client, or the unit
 * tests' in-memory brokers, stand in by implementing it and handing it to createSinkOnClient.
 */
export interface ProducerClient {
  /**
   * Why this client cannot compress with `compression` (no codec for it), or undefined when it can.
   * Asked before connect(): with a codec missing every produce would fail, and be retried for good.
   */
  compressionUnavailable(compression: CompressionName): string | undefined
  /** Connects an idempotent producer (acks=all, one produce request in flight per broker). */
  connect(): Promise<void>
  /**
   * Sends the records in one go, in the order given per partition, and resolves once every one is
   * acknowledged by all in-sync replicas. Rejects with a ProduceFailure.
   */
  produce(records: readonly OutgoingRecord[]): Promise<void>
  /**
   * The record in the form this client keeps best while it waits to be produced (for kafkajs:
   * its key, value and headers already encoded). Only `topic` and `partition` of what it returns
   * may be read; it goes to produce() as it is. Called once per record, when the sink accepts it,
   * after the sink measured what it needs of the record.
   */
  prepare?(record: OutgoingRecord): OutgoingRecord
  /**
   * Drops the producer identity so the next produce starts over with a new one. Needed after a
   * failure that may have left some partitions written and their sequence numbers unknown.
   */
  resetProducer(): Promise<void>
  /** Creates the topics that do not exist yet. Rejects with a ProduceFailure. */
  createTopics(topics: readonly string[], settings: TopicSettings): Promise<void>
  /**
   * The largest record batch each topic takes (its max.message.bytes), for the topics the cluster
   * could say; topics it could not (not there yet, not allowed) are left out.
   */
  maxMessageBytes(topics: readonly string[]): Promise<Map<string, number>>
  /**
   * What the brokers bound every request by (the smallest socket.request.max.bytes among them);
   * undefined fields when the cluster does not say (not allowed to describe brokers). Rejects when
   * the cluster could not be asked, so that the sink asks again later.
   */
  brokerLimits(): Promise<BrokerLimits>
  /** Which of these topics the cluster does not have. */
  missingTopics(topics: readonly string[]): Promise<string[]>
  disconnect(): Promise<void>
}

/**
 * A ProducerClient whose producer has a transactional id: `produce()` writes inside the open
 * transaction. Only the exactly-once sink uses it.
 */
export interface TransactionalProducerClient extends ProducerClient {
  /** InitProducerId for the transactional id: fences every older producer with the same id. */
  initTransactions(): Promise<void>
  beginTransaction(): Promise<void>
  commitTransaction(): Promise<void>
  /** Aborts the open transaction, if any. */
  abortTransaction(): Promise<void>
  /** Creates a compacted topic with one partition when missing. */
  createCompactedTopic(topic: string, replicationFactor: number | undefined): Promise<void>
  /** The last committed value of `key` in `topic` (read_committed); undefined when none. */
  readLatestCommitted(topic: string, key: string): Promise<Buffer | undefined>
}

export interface OutgoingRecord {
  topic: string
  key: Buffer | null
  value: Buffer | null
  headers: Record<string, string>
  /** A fixed partition, for records without a key (a retry must land where the first try did). */
  partition?: number
}

export interface BrokerLimits {
  /** The smallest socket.request.max.bytes of the brokers: a larger request is dropped with the connection. */
  maxRequestBytes?: number | undefined
}

export interface TopicSettings {
  partitions: number
  replicationFactor: number
}

export interface ProducerClientSettings {
  brokers: string[]
  clientId: string
  sasl?: { mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'; username: string; password: string }
  ssl?: boolean | tls.ConnectionOptions
  compression: CompressionName
  logger: Logger
  /** Set for the exactly-once sink: the producer's transactional id and transaction timeout. */
  transactional?: { id: string; timeoutMs: number }
}

/**
 * - record-rejected: the broker refused a record for good (too large, invalid topic...); which one
 *   of a batch is not said, and other partitions of the same request may have been written.
 * - producer-state: the broker no longer agrees on the producer's sequence numbers; start over.
 * - topic-missing: a topic does not exist and was not created.
 * - fenced: a newer producer with the same transactional id took over (or the coordinator ended
 *   this producer's transaction): it must never write again.
 * - transient: anything else (broker down, leader moving, timeout): retry.
 */
export type ProduceFailureKind =
  | 'record-rejected'
  | 'producer-state'
  | 'topic-missing'
  | 'fenced'
  | 'transient'

/** A failed client call, classified; the message never carries credentials. */
export class ProduceFailure extends Error {
  override readonly name = 'ProduceFailure'
  constructor(
    readonly kind: ProduceFailureKind,
    /** The client's error type when it has one (e.g. MESSAGE_TOO_LARGE). */
    readonly code: string | undefined,
    message: string,
  ) {
    super(message)
  }
}
