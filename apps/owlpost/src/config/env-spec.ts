import { defaultMaxMessageBytes } from '@factlib/wal'
import {
  commaList,
  type EnvOf,
  flag,
  intBetween,
  matching,
  nonNegativeInt,
  oneOf,
  optional,
  port,
  positiveInt,
  postgresUrl,
  required,
  text,
  withDefault,
} from './env-rules.js'

/** Prefixes become Kafka topic name parts and pg_logical_emit_message prefixes. */
const prefixList = commaList(
  'prefix',
  /^[A-Za-z0-9._-]{1,200}$/,
  'each prefix may use only letters, digits, ".", "_" and "-" (it becomes part of Kafka topic names)',
)

const brokerList = commaList('broker', /^[^\s:]+:\d{1,5}$/, 'each broker must be host:port')

const identifier = matching(
  /^[a-z_][a-z0-9_]{0,62}$/,
  'must be a lower-case PostgreSQL identifier (a-z, 0-9, _; at most 63 characters)',
)

/**
 * The environment owlpost reads. The first block is the Go owlpost's, with its names and
 * defaults, so an existing deployment keeps working; the rest are new and all optional.
 */
export const owlpostEnv = {
  APP_NAME: withDefault(text, 'owlpost'),
  SRC_SERVICE_NAME: withDefault(text, 'unknown'),
  WAL_PREFIX: required(prefixList),
  MASTER_DATABASE_URL: required(postgresUrl),
  KAFKA_BROKERS: required(brokerList),
  KAFKA_USERNAME: withDefault(text, ''),
  KAFKA_PASSWORD: withDefault(text, ''),
  KAFKA_SSL: withDefault(flag, false),
  REPLICATION_SLOT_NAME: withDefault(identifier, 'factlib_slot'),
  PUBLICATION_NAME: withDefault(identifier, 'facts'),
  WAL_HEALTH_PORT: withDefault(port, 3001),
  METRICS_PORT: withDefault(port, 2112),

  LOG_LEVEL: withDefault(oneOf('trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'), 'info'),
  KAFKA_SASL_MECHANISM: withDefault(oneOf('scram-sha-512', 'scram-sha-256', 'plain'), 'scram-sha-512'),
  KAFKA_SSL_CA_FILE: optional(text),
  KAFKA_COMPRESSION: withDefault(oneOf('none', 'gzip', 'snappy', 'lz4', 'zstd'), 'none'),
  KAFKA_TOPIC_PARTITIONS: optional(positiveInt),
  KAFKA_TOPIC_REPLICATION_FACTOR: withDefault(positiveInt, 1),
  DEAD_LETTER_TOPIC: optional(text),
  ON_PERMANENT_ERROR: withDefault(oneOf('dead-letter', 'halt'), 'dead-letter'),
  MAX_IN_FLIGHT_FACTS: withDefault(positiveInt, 5_000),
  MAX_IN_FLIGHT_BYTES: withDefault(positiveInt, 16 * 1024 * 1024),
  // From 64 KiB (every pgoutput header fits) to 1 GiB (PostgreSQL's own limit on one message).
  MAX_MESSAGE_BYTES: withDefault(intBetween(64 * 1024, 1024 * 1024 * 1024, 'bytes'), defaultMaxMessageBytes),
  KAFKA_LINGER_MS: withDefault(nonNegativeInt, 0),
  STATUS_INTERVAL_MS: withDefault(positiveInt, 10_000),
  CONFIRM_INTERVAL_MS: withDefault(nonNegativeInt, 100),
  WAL_SILENCE_TIMEOUT_MS: withDefault(positiveInt, 90_000),
  SHUTDOWN_TIMEOUT_MS: withDefault(positiveInt, 15_000),
  STANDBY_RETRY_MS: withDefault(positiveInt, 2_000),
  RECONNECT_MAX_BACKOFF_MS: withDefault(positiveInt, 30_000),
  LAG_POLL_INTERVAL_MS: withDefault(positiveInt, 10_000),
  DELIVERY_GUARANTEE: withDefault(oneOf('at-least-once', 'exactly-once'), 'at-least-once'),
  EOS_COMMIT_INTERVAL_MS: withDefault(positiveInt, 100),
  EOS_MAX_FACTS: withDefault(positiveInt, 10_000),
  EOS_TRANSACTION_TIMEOUT_MS: withDefault(positiveInt, 60_000),
  EOS_CHECKPOINT_TOPIC: optional(text),
  EOS_TRANSACTIONAL_ID: optional(text),
  FAILOVER_SLOT: withDefault(flag, true),
  ALLOW_SLOT_RECREATE: withDefault(flag, false),
}

export type OwlpostEnv = EnvOf<typeof owlpostEnv>
