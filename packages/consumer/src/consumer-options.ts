import { deadLetterTopicFor } from '@factlib/core/wire'
import { type BackoffSettings, defaultBackoff, type Logger } from '@factlib/wal'
import type { Kafka } from 'kafkajs'
import { ConsumerConfigError } from './errors.js'
import type { FactHandler, HandlerBuilder } from './fact-handlers.js'
import type { FactRecord } from './fact-record.js'
import type { FactStore } from './fact-store.js'
import type { ConsumerHooks } from './process-record.js'

export interface ConsumeFactsOptions<Tx> {
  /** A kafkajs client; the consumer and the dead-letter producer are made from it. */
  kafka: Kafka
  groupId: string
  /**
   * Consume every topic of this prefix (`<prefix>.*`, as owlpost names them) that exists when
   * the consumer starts, but its dead-letter topic and owlpost's checkpoint topic. Also names the
   * dead-letter topic, `<prefix>.dead-letter`.
   */
  prefix?: string
  /** Consume these topics (instead of the prefix's). Without `prefix`, set `deadLetterTopic`. */
  topics?: readonly string[]
  /** The handlers, one per fact definition or event type: `(on) => [on(UserCreated, …), on.event('x', …)]`. */
  handlers: (on: HandlerBuilder<Tx>) => ReadonlyArray<FactHandler<Tx>>
  /** Where applied facts are marked: `postgresJsStore(sql)` or `pgStore(pool)`. */
  store: FactStore<Tx>
  /** Where records that do not decode or fail their schema go; default `<prefix>.dead-letter`. */
  deadLetterTopic?: string | ((record: FactRecord) => string)
  /** A new group starts at the earliest offset (default true), so no fact before it is missed. */
  fromBeginning?: boolean
  /** Facts applied at once, across partitions and keys; at most the store's pool size. Default 10. */
  maxInFlight?: number
  /** kafkajs's session timeout; default 30,000 ms. A dead consumer's partitions move after it. */
  sessionTimeoutMs?: number
  /** Default 3,000 ms; also how soon a running batch notices a rebalance. */
  heartbeatIntervalMs?: number
  /** How long marks are kept (default 7 days) and how often old ones are deleted (default 1 hour). */
  marks?: { retentionMs?: number; pruneIntervalMs?: number }
  /** Backoff between attempts of a failing handler; default 100 ms doubling to 5 s, 20% jitter. */
  retry?: BackoffSettings
  /** `'opentelemetry'` (default): each handler runs in a span parented by the record's `traceparent`. */
  tracing?: 'opentelemetry' | false
  /** pino-compatible; the consumer never prints. */
  logger?: Logger
  hooks?: ConsumerHooks
}

export interface ResolvedOptions {
  readonly subscription: { topics: string[] } | { topics: RegExp[] }
  readonly deadLetterTopic: (record: FactRecord) => string
  readonly fromBeginning: boolean
  readonly maxInFlight: number
  readonly sessionTimeoutMs: number
  readonly heartbeatIntervalMs: number
  readonly retentionMs: number
  readonly pruneIntervalMs: number
  readonly retry: BackoffSettings
}

const day = 24 * 60 * 60 * 1000

/** Checks the options; every problem is a `ConsumerConfigError` naming the option. */
export function resolveOptions<Tx>(options: ConsumeFactsOptions<Tx>): ResolvedOptions {
  const { prefix, topics } = options
  if (typeof options.groupId !== 'string' || options.groupId === '') {
    throw new ConsumerConfigError('groupId', 'must be a non-empty string')
  }
  if (prefix === undefined && (topics === undefined || topics.length === 0)) {
    throw new ConsumerConfigError('prefix', 'give a prefix or a non-empty list of topics')
  }
  if (prefix !== undefined && !/^[A-Za-z0-9._-]{1,200}$/.test(prefix)) {
    throw new ConsumerConfigError('prefix', `'${prefix}' is not a prefix (1 to 200 of A-Z a-z 0-9 . _ -)`)
  }
  let deadLetterTopic: (record: FactRecord) => string
  const given = options.deadLetterTopic
  if (typeof given === 'function') deadLetterTopic = given
  else if (typeof given === 'string') deadLetterTopic = () => given
  else if (prefix !== undefined) {
    const topic = deadLetterTopicFor(prefix)
    deadLetterTopic = () => topic
  } else {
    throw new ConsumerConfigError('deadLetterTopic', 'required when consuming topics without a prefix')
  }
  const subscription =
    topics !== undefined && topics.length > 0
      ? { topics: [...topics] }
      : { topics: [prefixPattern(prefix as string)] }
  return {
    subscription,
    deadLetterTopic,
    fromBeginning: options.fromBeginning ?? true,
    maxInFlight: positive('maxInFlight', options.maxInFlight, 10),
    sessionTimeoutMs: positive('sessionTimeoutMs', options.sessionTimeoutMs, 30_000),
    heartbeatIntervalMs: positive('heartbeatIntervalMs', options.heartbeatIntervalMs, 3_000),
    retentionMs: positive('marks.retentionMs', options.marks?.retentionMs, 7 * day),
    pruneIntervalMs: positive('marks.pruneIntervalMs', options.marks?.pruneIntervalMs, 60 * 60 * 1000),
    retry: options.retry ?? defaultBackoff,
  }
}

/** `<prefix>.<anything>` but `<prefix>.dead-letter` and owlpost's `<prefix>.owlpost-checkpoints`. */
export function prefixPattern(prefix: string): RegExp {
  const escaped = prefix.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&')
  return new RegExp(`^${escaped}\\.(?!(?:dead-letter|owlpost-checkpoints)$).+$`)
}

function positive(option: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback
  if (!Number.isInteger(value) || value < 1)
    throw new ConsumerConfigError(option, `${value} is not a positive integer`)
  return value
}
