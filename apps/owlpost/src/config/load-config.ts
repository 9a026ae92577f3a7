import { parseConnectionString } from '@factlib/wal'
import { readEnv } from './env-rules.js'
import { owlpostEnv } from './env-spec.js'
import { redact } from './redact.js'

export interface OwlpostConfig {
  appName: string
  sourceService: string
  prefixes: readonly string[]
  databaseUrl: string
  kafka: {
    brokers: readonly string[]
    clientId: string
    sasl?: { mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'; username: string; password: string }
    ssl: boolean
    sslCaFile?: string
    compression: 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd'
    createTopics?: { partitions: number; replicationFactor: number }
    deadLetterTopic?: string
    onPermanentError: 'dead-letter' | 'halt'
    maxInFlightFacts: number
    maxInFlightBytes: number
    lingerMs: number
    deliveryGuarantee: 'at-least-once' | 'exactly-once'
    /** Set with deliveryGuarantee 'exactly-once'. */
    exactlyOnce?: {
      transactionalId: string
      checkpointTopic: string
      commitIntervalMs: number
      maxFacts: number
      transactionTimeoutMs: number
    }
  }
  slotName: string
  publicationName: string
  healthPort: number
  metricsPort: number
  logLevel: string
  statusIntervalMs: number
  confirmIntervalMs: number
  silenceTimeoutMs: number
  /** The largest WAL message held whole; a larger one is dead-lettered unread (MAX_MESSAGE_BYTES). */
  maxMessageBytes: number
  shutdownTimeoutMs: number
  standbyRetryMs: number
  reconnectMaxBackoffMs: number
  lagPollIntervalMs: number
  /** On PostgreSQL 17, a slot the standby keeps through failover (FAILOVER_SLOT). */
  failoverSlot: boolean
  /** Create a missing slot even when Kafka shows an earlier run: accept the WAL gap (ALLOW_SLOT_RECREATE). */
  allowSlotRecreate: boolean
}

export interface ConfigProblem {
  variable: string
  message: string
}

/** Every problem with the environment at once, so one failed start tells the operator all of them. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError'
  constructor(readonly problems: readonly ConfigProblem[]) {
    super(
      `owlpost configuration is invalid (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n${problems
        .map((problem) => `  - ${problem.variable}: ${problem.message}`)
        .join('\n')}`,
    )
  }
}

export function loadConfig(env: Record<string, string | undefined>): OwlpostConfig {
  const read = readEnv(owlpostEnv, env)
  const problems: ConfigProblem[] = read.ok ? [] : read.problems
  if (env.KAFKA_USERNAME && !env.KAFKA_PASSWORD) {
    problems.push({ variable: 'KAFKA_PASSWORD', message: 'is required when KAFKA_USERNAME is set' })
  }
  if (!read.ok || problems.length > 0) {
    const secrets = [env.KAFKA_PASSWORD, urlPassword(env.MASTER_DATABASE_URL)].filter(
      (value): value is string => !!value,
    )
    throw new ConfigError(
      problems.map(({ variable, message }) => ({ variable, message: redact(message, secrets) })),
    )
  }
  const e = read.env
  return {
    appName: e.APP_NAME,
    sourceService: e.SRC_SERVICE_NAME,
    prefixes: e.WAL_PREFIX,
    databaseUrl: e.MASTER_DATABASE_URL,
    kafka: {
      brokers: e.KAFKA_BROKERS,
      clientId: `${e.APP_NAME}.${e.SRC_SERVICE_NAME}`,
      ...(e.KAFKA_USERNAME
        ? {
            sasl: {
              mechanism: e.KAFKA_SASL_MECHANISM,
              username: e.KAFKA_USERNAME,
              password: e.KAFKA_PASSWORD,
            },
          }
        : {}),
      ssl: e.KAFKA_SSL,
      ...(e.KAFKA_SSL_CA_FILE ? { sslCaFile: e.KAFKA_SSL_CA_FILE } : {}),
      compression: e.KAFKA_COMPRESSION,
      ...(e.KAFKA_TOPIC_PARTITIONS
        ? {
            createTopics: {
              partitions: e.KAFKA_TOPIC_PARTITIONS,
              replicationFactor: e.KAFKA_TOPIC_REPLICATION_FACTOR,
            },
          }
        : {}),
      ...(e.DEAD_LETTER_TOPIC ? { deadLetterTopic: e.DEAD_LETTER_TOPIC } : {}),
      onPermanentError: e.ON_PERMANENT_ERROR,
      maxInFlightFacts: e.MAX_IN_FLIGHT_FACTS,
      maxInFlightBytes: e.MAX_IN_FLIGHT_BYTES,
      lingerMs: e.KAFKA_LINGER_MS,
      deliveryGuarantee: e.DELIVERY_GUARANTEE,
      ...(e.DELIVERY_GUARANTEE === 'exactly-once'
        ? {
            exactlyOnce: {
              // The same on active and standby and across restarts: the newest one fences the others.
              transactionalId: e.EOS_TRANSACTIONAL_ID ?? `owlpost.${e.REPLICATION_SLOT_NAME}`,
              checkpointTopic: e.EOS_CHECKPOINT_TOPIC ?? `${e.WAL_PREFIX[0]}.owlpost-checkpoints`,
              commitIntervalMs: e.EOS_COMMIT_INTERVAL_MS,
              maxFacts: e.EOS_MAX_FACTS,
              transactionTimeoutMs: e.EOS_TRANSACTION_TIMEOUT_MS,
            },
          }
        : {}),
    },
    slotName: e.REPLICATION_SLOT_NAME,
    publicationName: e.PUBLICATION_NAME,
    healthPort: e.WAL_HEALTH_PORT,
    metricsPort: e.METRICS_PORT,
    logLevel: e.LOG_LEVEL,
    statusIntervalMs: e.STATUS_INTERVAL_MS,
    confirmIntervalMs: e.CONFIRM_INTERVAL_MS,
    silenceTimeoutMs: e.WAL_SILENCE_TIMEOUT_MS,
    maxMessageBytes: e.MAX_MESSAGE_BYTES,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    standbyRetryMs: e.STANDBY_RETRY_MS,
    reconnectMaxBackoffMs: e.RECONNECT_MAX_BACKOFF_MS,
    lagPollIntervalMs: e.LAG_POLL_INTERVAL_MS,
    failoverSlot: e.FAILOVER_SLOT,
    allowSlotRecreate: e.ALLOW_SLOT_RECREATE,
  }
}

function urlPassword(url: string | undefined): string | undefined {
  try {
    // libpq's reading, so a host list (which URL refuses) still has its password redacted.
    return url ? parseConnectionString(url).password || undefined : undefined
  } catch {
    return undefined
  }
}
