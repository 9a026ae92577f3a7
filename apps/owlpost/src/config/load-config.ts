import { createPrivateKey, X509Certificate } from 'node:crypto'
import type { ConnectionOptions } from 'node:tls'
import { parseConnectionString } from '@factlib/wal'
import { readEnv } from './env-rules.js'
import { type OwlpostEnv, owlpostEnv } from './env-spec.js'
import { redact } from './redact.js'

/** The PEM texts of the TLS files, read and checked at start. */
export interface KafkaTlsFiles {
  ca?: string
  cert?: string
  key?: string
  passphrase?: string
}

export interface OwlpostConfig {
  appName: string
  sourceService: string
  prefixes: readonly string[]
  databaseUrl: string
  kafka: {
    brokers: readonly string[]
    clientId: string
    sasl?: { mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'; username: string; password: string }
    /** TLS to the brokers: KAFKA_SSL, or any of the TLS files. */
    ssl: boolean
    /** The CA, and the client certificate and key for mTLS, when given. */
    tls?: KafkaTlsFiles
    compression: 'none' | 'gzip' | 'zstd'
    createTopics?: { partitions: number; replicationFactor: number }
    deadLetterTopic?: string
    onPermanentError: 'dead-letter' | 'halt'
    maxInFlightFacts: number
    maxInFlightBytes: number
    lingerMs: number
    /** KAFKA_MAX_REQUEST_BYTES: an upper bound on produce requests besides what the brokers say. */
    maxRequestBytes?: number
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
  /** The address /health, /ready and /metrics listen on (HTTP_HOST). */
  httpHost: string
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
  /** When /health fails (LIVENESS_*). */
  liveness: { maxLoopStallMs: number; maxNoProgressMs: number }
  /** On PostgreSQL 17, a slot the standby keeps through failover (FAILOVER_SLOT). */
  failoverSlot: boolean
  /** Create a missing slot even when Kafka shows an earlier run: accept the WAL gap (ALLOW_SLOT_RECREATE). */
  allowSlotRecreate: boolean
  /** Settings that work but weaken something, for the start-up log. */
  warnings: string[]
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
  if (read.ok) problems.push(...crossProblems(read.env))
  if (!read.ok || problems.length > 0) {
    const secrets = [
      env.KAFKA_PASSWORD,
      env.KAFKA_SSL_KEY_PASSWORD,
      urlPassword(env.MASTER_DATABASE_URL),
    ].filter((value): value is string => !!value)
    throw new ConfigError(
      problems.map(({ variable, message }) => ({ variable, message: redact(message, secrets) })),
    )
  }
  const e = read.env
  const tls = tlsFiles(e)
  const ssl = tlsOn(e)
  const warnings: string[] = []
  if (e.KAFKA_USERNAME && !ssl) {
    warnings.push(
      e.KAFKA_SASL_MECHANISM === 'plain'
        ? 'KAFKA_SASL_ALLOW_PLAINTEXT: the Kafka password crosses the network in clear (SASL PLAIN without TLS)'
        : `KAFKA_SSL: SASL ${e.KAFKA_SASL_MECHANISM.toUpperCase()} without TLS: the password does not cross the network, but everything else does in clear`,
    )
  }
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
      ssl,
      ...(tls ? { tls } : {}),
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
      ...(e.KAFKA_MAX_REQUEST_BYTES ? { maxRequestBytes: e.KAFKA_MAX_REQUEST_BYTES } : {}),
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
    httpHost: e.HTTP_HOST,
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
    liveness: {
      maxLoopStallMs: e.LIVENESS_MAX_LOOP_STALL_MS,
      maxNoProgressMs: e.LIVENESS_MAX_NO_PROGRESS_MS,
    },
    failoverSlot: e.FAILOVER_SLOT,
    allowSlotRecreate: e.ALLOW_SLOT_RECREATE,
    warnings,
  }
}

/** Settings that are each valid but cannot work together. */
function crossProblems(e: OwlpostEnv): ConfigProblem[] {
  const problems: ConfigProblem[] = []
  if (e.KAFKA_USERNAME && e.KAFKA_SASL_MECHANISM === 'plain' && !tlsOn(e) && !e.KAFKA_SASL_ALLOW_PLAINTEXT) {
    problems.push({
      variable: 'KAFKA_SASL_MECHANISM',
      message:
        'plain without TLS would send the Kafka password in clear: set KAFKA_SSL=true, use scram-sha-512, ' +
        'or set KAFKA_SASL_ALLOW_PLAINTEXT=true to accept that',
    })
  }
  if (!!e.KAFKA_SSL_CERT_FILE !== !!e.KAFKA_SSL_KEY_FILE) {
    problems.push({
      variable: e.KAFKA_SSL_CERT_FILE ? 'KAFKA_SSL_KEY_FILE' : 'KAFKA_SSL_CERT_FILE',
      message: 'is required with the other: a client certificate and its key go together (mTLS)',
    })
  } else if (e.KAFKA_SSL_CERT_FILE && e.KAFKA_SSL_KEY_FILE) {
    const mismatch = keyProblem(
      e.KAFKA_SSL_CERT_FILE.text,
      e.KAFKA_SSL_KEY_FILE.text,
      e.KAFKA_SSL_KEY_PASSWORD,
    )
    if (mismatch) problems.push({ variable: 'KAFKA_SSL_KEY_FILE', message: mismatch })
  }
  if (e.KAFKA_SSL_CA_FILE) {
    try {
      new X509Certificate(e.KAFKA_SSL_CA_FILE.text)
    } catch (error) {
      problems.push({
        variable: 'KAFKA_SSL_CA_FILE',
        message: `holds no valid certificate: ${(error as Error).message}`,
      })
    }
  }
  if (e.DELIVERY_GUARANTEE === 'exactly-once' && e.EOS_COMMIT_INTERVAL_MS >= e.EOS_TRANSACTION_TIMEOUT_MS) {
    problems.push({
      variable: 'EOS_COMMIT_INTERVAL_MS',
      message: `must be less than EOS_TRANSACTION_TIMEOUT_MS (${e.EOS_TRANSACTION_TIMEOUT_MS}): every Kafka transaction would time out`,
    })
  }
  return problems
}

/** Why the key cannot serve the certificate, or undefined when it can. */
function keyProblem(certificate: string, key: string, passphrase: string | undefined): string | undefined {
  let certificateObject: X509Certificate
  try {
    certificateObject = new X509Certificate(certificate)
  } catch (error) {
    return `KAFKA_SSL_CERT_FILE holds no valid certificate: ${(error as Error).message}`
  }
  try {
    const privateKey = createPrivateKey(passphrase === undefined ? key : { key, passphrase })
    return certificateObject.checkPrivateKey(privateKey)
      ? undefined
      : 'is not the private key of the certificate in KAFKA_SSL_CERT_FILE'
  } catch (error) {
    return `cannot be read as a private key${passphrase === undefined ? ' (is it encrypted? set KAFKA_SSL_KEY_PASSWORD)' : ' with KAFKA_SSL_KEY_PASSWORD'}: ${(error as Error).message}`
  }
}

/** TLS to the brokers: asked for with KAFKA_SSL, or implied by a CA or client certificate file. */
function tlsOn(e: OwlpostEnv): boolean {
  return e.KAFKA_SSL || !!e.KAFKA_SSL_CA_FILE || !!e.KAFKA_SSL_CERT_FILE
}

function tlsFiles(e: OwlpostEnv): KafkaTlsFiles | undefined {
  if (!e.KAFKA_SSL_CA_FILE && !e.KAFKA_SSL_CERT_FILE) return undefined
  return {
    ...(e.KAFKA_SSL_CA_FILE ? { ca: e.KAFKA_SSL_CA_FILE.text } : {}),
    ...(e.KAFKA_SSL_CERT_FILE ? { cert: e.KAFKA_SSL_CERT_FILE.text } : {}),
    ...(e.KAFKA_SSL_KEY_FILE ? { key: e.KAFKA_SSL_KEY_FILE.text } : {}),
    ...(e.KAFKA_SSL_KEY_PASSWORD ? { passphrase: e.KAFKA_SSL_KEY_PASSWORD } : {}),
  }
}

/** What kafkajs takes as `ssl`: false, true, or the TLS files' options. */
export function kafkaSsl(kafka: OwlpostConfig['kafka']): boolean | ConnectionOptions {
  return kafka.tls ? { ...kafka.tls } : kafka.ssl
}

function urlPassword(url: string | undefined): string | undefined {
  try {
    // libpq's reading, so a host list (which URL refuses) still has its password redacted.
    return url ? parseConnectionString(url).password || undefined : undefined
  } catch {
    return undefined
  }
}
