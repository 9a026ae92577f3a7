import {
  createEnvelope,
  encodeEnvelope,
  type FactEnvelope,
  type FactInput,
  type TraceInfo,
} from '@factlib/core'
import { EMIT_MANY, EMIT_ONE } from './emit-statements.js'
import { EmitDatabaseError, PayloadTooLargeError } from './errors.js'
import type { Logger } from './logger.js'
import { activeOpenTelemetryTrace } from './opentelemetry-trace.js'
import { assertValidPrefix } from './prefix.js'
import { resolveExecutor, type TransactionLike } from './resolve-executor.js'
import type { SqlExecutor } from './sql-executor.js'

/** 1 MiB: Kafka's default maximum message size is about 1 MB. */
export const DEFAULT_MAX_PAYLOAD_BYTES = 1024 * 1024

export interface ProducerOptions {
  /** Logical message prefix; the relay publishes to `<prefix>.<aggregateType>`. */
  prefix: string
  /** Largest encoded envelope accepted, in bytes. Default 1 MiB. */
  maxPayloadBytes?: number
  /**
   * Where trace context comes from when a fact has none: `'opentelemetry'` (default) reads the
   * active span if `@opentelemetry/api` is installed; a function supplies it (Sentry, custom);
   * `false` never adds any.
   */
  traceContext?: 'opentelemetry' | (() => TraceInfo | undefined) | false
  /** Clock in Unix epoch nanoseconds, for tests. */
  now?: () => bigint
  logger?: Logger
}

export interface Producer {
  readonly prefix: string
  readonly maxPayloadBytes: number
  /** Emits one fact inside the caller's transaction; it commits or rolls back with it. */
  emit(transaction: TransactionLike, fact: FactInput): Promise<FactEnvelope>
  /** Emits facts in order in one round trip inside the caller's transaction. */
  emitMany(transaction: TransactionLike, facts: readonly FactInput[]): Promise<FactEnvelope[]>
}

/**
 * Creates a producer. Every emit runs `pg_logical_emit_message(true, prefix, envelope)`: the
 * transactional form, so a fact exists exactly when the business transaction commits.
 * Throws `InvalidPrefixError` for a prefix that cannot name Kafka topics.
 */
export function createProducer(options: ProducerOptions): Producer {
  const { prefix, logger } = options
  assertValidPrefix(prefix)
  const maxPayloadBytes = options.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES
  if (!Number.isSafeInteger(maxPayloadBytes) || maxPayloadBytes <= 0) {
    throw new RangeError(`maxPayloadBytes must be a positive integer, got ${maxPayloadBytes}`)
  }
  const traceSource = options.traceContext ?? 'opentelemetry'
  const currentTrace =
    traceSource === 'opentelemetry'
      ? activeOpenTelemetryTrace
      : traceSource === false
        ? () => undefined
        : traceSource
  const envelopeOptions = options.now ? { now: options.now } : {}

  const prepare = (fact: FactInput): { envelope: FactEnvelope; bytes: Uint8Array } => {
    let input = fact
    if (!fact.traceInfo) {
      const traceInfo = currentTrace()
      if (traceInfo) input = { ...fact, traceInfo }
    }
    const envelope = createEnvelope(input, envelopeOptions)
    const bytes = encodeEnvelope(envelope)
    if (bytes.length > maxPayloadBytes)
      throw new PayloadTooLargeError(envelope, bytes.length, maxPayloadBytes)
    return { envelope, bytes }
  }

  const run = async (executor: SqlExecutor, text: string, params: unknown[], count: number) => {
    try {
      await executor.query(text, params)
    } catch (error) {
      throw new EmitDatabaseError(prefix, count, error)
    }
  }

  const logEmitted = (envelopes: FactEnvelope[]) => {
    if (!logger) return
    for (const envelope of envelopes) {
      logger.debug(
        { prefix, id: envelope.id, aggregateType: envelope.aggregateType, eventType: envelope.eventType },
        'fact emitted',
      )
    }
  }

  const emitOne = async (executor: SqlExecutor, fact: FactInput): Promise<FactEnvelope> => {
    const { envelope, bytes } = prepare(fact)
    await run(executor, EMIT_ONE, [prefix, asBuffer(bytes)], 1)
    logEmitted([envelope])
    return envelope
  }

  return {
    prefix,
    maxPayloadBytes,
    emit: async (transaction, fact) => emitOne(resolveExecutor(transaction), fact),
    async emitMany(transaction, facts) {
      const executor = resolveExecutor(transaction)
      if (facts.length === 0) return []
      if (facts.length === 1) return [await emitOne(executor, facts[0]!)]
      // Validate and encode everything before touching the database, so a bad fact emits nothing.
      const prepared = facts.map(prepare)
      let starts = ''
      let lengths = ''
      let total = 0
      for (const [index, { bytes }] of prepared.entries()) {
        const separator = index === 0 ? '' : ','
        starts += `${separator}${total + 1}` // substring() counts from 1
        lengths += `${separator}${bytes.length}`
        total += bytes.length
      }
      const joined = Buffer.allocUnsafe(total)
      let offset = 0
      for (const { bytes } of prepared) {
        joined.set(bytes, offset)
        offset += bytes.length
      }
      await run(executor, EMIT_MANY, [prefix, joined, starts, lengths], facts.length)
      const envelopes = prepared.map(({ envelope }) => envelope)
      logEmitted(envelopes)
      return envelopes
    },
  }
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}
