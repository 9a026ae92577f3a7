import { defaultMaxMessageBytes } from '@factlib/wal'
import {
  commaList,
  durationMs,
  type EnvOf,
  flag,
  intBetween,
  kafkaTopic,
  listenHost,
  matching,
  oneOf,
  optional,
  pemFile,
  port,
  postgresUrl,
  type Rule,
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

const hostPortList = commaList('broker', /^[^\s:]+:\d{1,5}$/, 'each broker must be host:port')
const brokerList: Rule<readonly string[]> = (raw) => {
  const parsed = hostPortList(raw)
  if (!parsed.ok) return parsed
  const bad = parsed.value.find((broker) => {
    const port = Number(broker.split(':')[1])
    return !(port >= 1 && port <= 65535)
  })
  return bad ? { ok: false, problem: `each broker's port must be from 1 to 65535, not '${bad}'` } : parsed
}

const identifier = matching(
  /^[a-z_][a-z0-9_]{0,62}$/,
  'must be a lower-case PostgreSQL identifier (a-z, 0-9, _; at most 63 characters)',
)

/** Kafka's int32 and int16 fields: partitions and replication factor. */
const int32 = 2 ** 31 - 1
const int16 = 2 ** 15 - 1

/**
 * The environment owlpost reads. The first block is the Go owlpost's, with its names and
 * defaults, so an existing deployment keeps working; the rest are new and all optional.
 * Every variable has a domain: a value that cannot work stops owlpost at start, naming it.
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

  /** Where /health, /ready and /metrics listen. Loopback unless told: the image sets 0.0.0.0. */
  HTTP_HOST: withDefault(listenHost, '127.0.0.1'),
  LOG_LEVEL: withDefault(oneOf('trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'), 'info'),
  KAFKA_SASL_MECHANISM: withDefault(oneOf('scram-sha-512', 'scram-sha-256', 'plain'), 'scram-sha-512'),
  /** PLAIN sends the password as it is: over a connection without TLS only when this says so. */
  KAFKA_SASL_ALLOW_PLAINTEXT: withDefault(flag, false),
  KAFKA_SSL_CA_FILE: optional(pemFile('certificate', /CERTIFICATE/)),
  KAFKA_SSL_CERT_FILE: optional(pemFile('certificate', /CERTIFICATE/)),
  KAFKA_SSL_KEY_FILE: optional(pemFile('private key', /(RSA |EC |ENCRYPTED )?PRIVATE KEY/)),
  KAFKA_SSL_KEY_PASSWORD: optional(text),
  // snappy and lz4 need codecs owlpost does not ship; zstd comes from Node's own zlib.
  KAFKA_COMPRESSION: withDefault(oneOf('none', 'gzip', 'zstd'), 'none'),
  KAFKA_TOPIC_PARTITIONS: optional(intBetween(1, int32, 'partitions')),
  KAFKA_TOPIC_REPLICATION_FACTOR: withDefault(intBetween(1, int16, 'replicas'), 1),
  DEAD_LETTER_TOPIC: optional(kafkaTopic),
  ON_PERMANENT_ERROR: withDefault(oneOf('dead-letter', 'halt'), 'dead-letter'),
  MAX_IN_FLIGHT_FACTS: withDefault(intBetween(1, 1_000_000, 'facts'), 5_000),
  MAX_IN_FLIGHT_BYTES: withDefault(intBetween(1024, int32, 'bytes'), 16 * 1024 * 1024),
  // From 64 KiB (every pgoutput header fits) to 1 GiB (PostgreSQL's own limit on one message).
  MAX_MESSAGE_BYTES: withDefault(intBetween(64 * 1024, 1024 * 1024 * 1024, 'bytes'), defaultMaxMessageBytes),
  /** The largest produce request; unset, learned from the brokers' socket.request.max.bytes. */
  KAFKA_MAX_REQUEST_BYTES: optional(intBetween(128 * 1024, int32, 'bytes')),
  KAFKA_LINGER_MS: withDefault(durationMs(0), 0),
  STATUS_INTERVAL_MS: withDefault(durationMs(1), 10_000),
  CONFIRM_INTERVAL_MS: withDefault(durationMs(0), 100),
  WAL_SILENCE_TIMEOUT_MS: withDefault(durationMs(1), 90_000),
  SHUTDOWN_TIMEOUT_MS: withDefault(durationMs(1), 15_000),
  STANDBY_RETRY_MS: withDefault(durationMs(1), 2_000),
  RECONNECT_MAX_BACKOFF_MS: withDefault(durationMs(1), 30_000),
  LAG_POLL_INTERVAL_MS: withDefault(durationMs(1), 10_000),
  DELIVERY_GUARANTEE: withDefault(oneOf('at-least-once', 'exactly-once'), 'at-least-once'),
  EOS_COMMIT_INTERVAL_MS: withDefault(durationMs(1), 100),
  EOS_MAX_FACTS: withDefault(intBetween(1, 1_000_000, 'facts'), 10_000),
  EOS_TRANSACTION_TIMEOUT_MS: withDefault(durationMs(1), 60_000),
  EOS_CHECKPOINT_TOPIC: optional(kafkaTopic),
  EOS_TRANSACTIONAL_ID: optional(text),
  /** /health fails after the event loop was blocked this long at once. */
  LIVENESS_MAX_LOOP_STALL_MS: withDefault(durationMs(100), 10_000),
  /** /health fails when facts wait this long with none delivered: a relay wedged on one fact. */
  LIVENESS_MAX_NO_PROGRESS_MS: withDefault(durationMs(1_000), 300_000),
  FAILOVER_SLOT: withDefault(flag, true),
  ALLOW_SLOT_RECREATE: withDefault(flag, false),
}

export type OwlpostEnv = EnvOf<typeof owlpostEnv>
