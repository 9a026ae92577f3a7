/// <reference types="node" preserve="true" />
import type * as tls from 'node:tls'
import type { Logger } from './logger.js'

/** One fact read from the WAL, as the relay hands it over. */
export interface SinkFact {
  /** The logical-message prefix; the topic is `<prefix>.<aggregateType>`. */
  prefix: string
  /** The message's own LSN. */
  lsn: bigint
  /** The protobuf envelope bytes, forwarded untouched. */
  value: Uint8Array
  /** Set by the caller to route the fact straight to the dead-letter topic with this reason. */
  deadLetterReason?: string
  /**
   * Set when the message was too large to hold (over the reader's `maxMessageBytes`): `value` is
   * then empty and this says what was left out. Such a fact always carries a `deadLetterReason`.
   */
  omitted?: OmittedValue
}

/** What is known of a fact value that was never held (see @factlib/relay's OmittedValue). */
export interface OmittedValue {
  byteLength: number
  /** SHA-256 of the whole value, lower-case hex. */
  sha256: string
  /** The value's first bytes (at most 64). */
  head: Uint8Array
}

/** The facts of one committed PostgreSQL transaction, in WAL order. */
export interface SinkTransaction {
  /** Commit end LSN: the position confirmed to PostgreSQL once the transaction is delivered. */
  endLsn: bigint
  /**
   * False for a part of a large transaction handed before its commit (its `endLsn` is then the
   * previous transaction's end, see @factlib/relay). The exactly-once sink commits a Kafka
   * transaction after a part only when the part says which transaction it belongs to
   * (`commitLsn`) and the Kafka transaction has been open a third of `transactionTimeoutMs`;
   * otherwise only after a whole transaction's end. Default true.
   */
  complete?: boolean
  /**
   * The commit LSN of the PostgreSQL transaction the facts belong to (pgoutput's Begin
   * `finalLsn`; @factlib/relay sets it). With it, the exactly-once sink may close a Kafka
   * transaction after any of its facts, with a checkpoint inside the transaction (SinkCheckpoint).
   */
  commitLsn?: bigint
  commitTime?: Date
  facts: SinkFact[]
}

/**
 * The exactly-once sink's checkpoint: the end LSN of the last whole PostgreSQL transaction its
 * committed Kafka transactions hold and, when it also holds the first facts of the next one (a
 * transaction too large for one Kafka transaction, split), that transaction's commit LSN and the
 * LSN of the last of its facts held. The same shape as @factlib/relay's HandlerCheckpoint.
 */
export interface SinkCheckpoint {
  endLsn: bigint
  inside?: { commitLsn: bigint; factLsn: bigint }
}

/** What the sink read of a fact's envelope to route it; undefined when the envelope does not decode. */
export interface RoutedEnvelope {
  aggregateType: string
  eventType: string
}

/** Why a produce failed: retried (`produce_error`), or refused by Kafka for that record (`rejected`). */
export type DeliveryFailureType = 'produce_error' | 'rejected'

/**
 * Hooks are called synchronously on the sink's hot path, once per fact or per batch: keep them
 * cheap (count, do not log). One that throws is logged and ignored.
 */
export interface SinkHooks {
  /**
   * A fact was accepted: `send()` took it and routed it, before anything is produced. Called
   * while `send()` runs, so a caller can time the hand-over.
   */
  accepted?(fact: SinkFact, envelope: RoutedEnvelope | undefined): void
  /**
   * A fact was acknowledged by Kafka (acks=all) on its topic; `seconds` from its acceptance to the
   * acknowledgement, retries included.
   */
  delivered?(topic: string, fact: SinkFact, tx: SinkTransaction, seconds: number): void
  /**
   * A produce request failed for `facts` records of `topic`: `produce_error` for every record of a
   * request that failed and is retried; `rejected` once for the record Kafka refused, found alone
   * (it is then dead-lettered or halts the sink). Nothing is dropped.
   */
  deliveryFailed?(topic: string, facts: number, type: DeliveryFailureType, error: Error): void
  /** A fact was acknowledged on the dead-letter topic; `originalTopic` when it could be worked out. */
  deadLettered?(reason: string, originalTopic: string | undefined, fact: SinkFact): void
  /** The sink became unhealthy (with the error it keeps retrying on) or healthy again. */
  healthChanged?(healthy: boolean, error?: Error): void
  /** Exactly-once: a Kafka transaction committed `facts` facts and moved the checkpoint to `checkpoint`. */
  transactionCommitted?(checkpoint: bigint, facts: number, seconds: number): void
  /** Exactly-once: a Kafka transaction was aborted, its facts to be resent. */
  transactionAborted?(error: Error): void
}

/**
 * - at-least-once: each fact is acknowledged by Kafka before its position is confirmed; a crash
 *   may write it again.
 * - exactly-once: facts go in Kafka transactions together with a checkpoint; read_committed
 *   consumers see each committed fact once, even across crashes and takeovers.
 */
export type DeliveryGuarantee = 'at-least-once' | 'exactly-once'

/** The exactly-once sink's settings. */
export interface ExactlyOnceOptions {
  /**
   * The producer's transactional.id: stable across restarts and the same on active and standby
   * (derive it from the slot name), so a standby that takes over fences the old active.
   */
  transactionalId: string
  /** The compacted topic that holds the checkpoint; created (one partition) when missing. */
  checkpointTopic: string
  /** The checkpoint record's key: the slot name. */
  checkpointKey: string
  /** A Kafka transaction commits after this long... Default 100 ms. */
  commitIntervalMs?: number
  /** ...or after this many facts, whichever comes first (never inside a PostgreSQL transaction). Default 10,000. */
  maxFacts?: number
  /**
   * transaction.timeout.ms: the coordinator aborts a transaction open longer. A Kafka transaction
   * open for a third of it inside a PostgreSQL transaction is closed after its last fact produced,
   * with a checkpoint inside that transaction (read_committed consumers then see the PostgreSQL
   * transaction in parts). Default 60,000 ms.
   */
  transactionTimeoutMs?: number
  /** How often a transaction holding no facts moves the checkpoint over idle WAL. Default 1,000 ms. */
  idleCheckpointMs?: number
}

export type CompressionName = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd'

export interface KafkaSinkOptions {
  brokers: string[]
  clientId?: string
  sasl?: { mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'; username: string; password: string }
  /** `true` for TLS with the system CAs, or Node TLS options (ca, cert, key, servername...). */
  ssl?: boolean | tls.ConnectionOptions
  /** Default 'none'. gzip is built in, zstd comes from node:zlib; snappy and lz4 need a codec registered first. */
  compression?: CompressionName
  /** Facts accepted but not yet settled before send() pends. Default 10,000. */
  maxInFlightFacts?: number
  /** Envelope bytes accepted but not yet settled before send() pends. Default 16 MiB. */
  maxInFlightBytes?: number
  /**
   * How long a fact may wait for others to share its produce request, counted from when it was
   * accepted (Kafka's linger.ms). Only a request that is not full waits. Default 0.
   */
  lingerMs?: number
  /**
   * The largest produce request the sink builds, in bytes: a broker drops the connection on a
   * request over its socket.request.max.bytes. The sink also asks the brokers for theirs and keeps
   * to the smaller of the two; with neither, Kafka's default 100 MiB. A record that cannot fit a
   * request alone is dead-lettered (its value cut) instead of sent. At least 128 KiB.
   */
  maxRequestBytes?: number
  /** Dead-letter topic for a prefix, asked once per prefix. Default `<prefix>.dead-letter`. */
  deadLetterTopic?: (prefix: string) => string
  /** What a permanent per-fact error does. Default 'dead-letter'. */
  onPermanentError?: 'dead-letter' | 'halt'
  /** Create topics on first use with these settings; `false` or absent leaves it to the broker. */
  createTopics?: { partitions: number; replicationFactor: number } | false
  /** Default 'at-least-once'. 'exactly-once' needs `exactlyOnce`. */
  deliveryGuarantee?: DeliveryGuarantee
  exactlyOnce?: ExactlyOnceOptions
  logger?: Logger
  hooks?: SinkHooks
}

/** A sink's report that everything sent up to `lsn` is delivered (as deliveredLsn moves). */
export interface SinkDelivered {
  type: 'delivered'
  lsn: bigint
}

/**
 * What a sink tells its relay, in the shape of @factlib/relay's HandlerEvent: deliveries and, for
 * the exactly-once sink, a loss (the open Kafka transaction was aborted; `fatal` when the sink
 * stopped for good).
 */
export type SinkEvent = SinkDelivered | { type: 'lost'; error: Error; fatal: boolean }

/** What both sinks have. */
interface KafkaSinkCommon {
  /** Connects the producer. Rejects when the brokers cannot be reached or refuse the credentials. */
  connect(): Promise<void>
  /** Resolves once ACCEPTED (not delivered); pends while the in-flight limits are full. */
  send(tx: SinkTransaction): Promise<void>
  /** End LSN of the newest transaction such that it and all earlier ones are fully acknowledged (or dead-lettered). */
  readonly deliveredLsn: bigint
  /** Facts accepted but not yet acknowledged. */
  readonly inFlight: number
  readonly healthy: boolean
  /** Fires when deliveredLsn advances. Returns a function that removes the listener. */
  onDelivered(listener: (lsn: bigint) => void): () => void
  /** Waits until inFlight === 0 (true) or the timeout passes (false). */
  drain(timeoutMs: number): Promise<boolean>
  /** Stops retrying, refuses further sends and disconnects; undelivered facts stay unconfirmed. */
  close(): Promise<void>
}

/** The at-least-once sink: a plain handler for @factlib/relay. */
export interface AtLeastOnceSink extends KafkaSinkCommon {
  readonly kind: 'plain'
  /** onDelivered as events, the form @factlib/relay subscribes to. */
  events(listener: (event: SinkDelivered) => void): () => void
}

/** The exactly-once sink: a checkpointed handler for @factlib/relay. */
export interface ExactlyOnceSink extends KafkaSinkCommon {
  readonly kind: 'checkpointed'
  /** onDelivered and onLost as one stream of events, the form @factlib/relay subscribes to. */
  events(listener: (event: SinkEvent) => void): () => void
  /**
   * Aborts what is not committed, fences any older producer the first time, and returns the
   * committed checkpoint to resume after (see @factlib/relay's CheckpointedHandler).
   */
  resume(): Promise<SinkCheckpoint>
  /**
   * The open Kafka transaction was aborted; call resume() and resend. `fatal` when the sink
   * stopped for good (fenced, halted): resume() will reject.
   */
  onLost(listener: (error: Error, fatal: boolean) => void): () => void
}

/** A sink of either guarantee; `kind` tells them apart. */
export type KafkaSink = AtLeastOnceSink | ExactlyOnceSink
