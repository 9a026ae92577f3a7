import {
  createEnvelope,
  encodeEnvelope,
  type FactEnvelope,
  type FactInput,
  type TraceInfo,
} from '@factlib/core'
import type { EmitFailureType, EmitMetrics } from './emit-metrics.js'
import { assertFoldable, EMIT_MANY, EMIT_ONE, StatementFolder } from './emit-statements.js'
import { EmitDatabaseError, InvalidFactError, PayloadTooLargeError } from './errors.js'
import type { Logger } from './logger.js'
import { activeOpenTelemetryTrace } from './opentelemetry-trace.js'
import {
  isPostgresJsQuery,
  isPostgresJsSql,
  type PostgresJsQuery,
  postgresJsStatementText,
  taggedTemplate,
} from './postgres-js-executor.js'
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
  /**
   * Per-fact counts and timings, e.g. `prometheusEmitMetrics(registry)` from
   * `@factlib/producer/prometheus` for the Go producer's metric names. None by default, at no cost.
   */
  metrics?: EmitMetrics
}

export interface Producer {
  readonly prefix: string
  readonly maxPayloadBytes: number
  /** Emits one fact inside the caller's transaction; it commits or rolls back with it. */
  emit(transaction: TransactionLike, fact: FactInput): Promise<FactEnvelope>
  /** Emits facts in order in one round trip inside the caller's transaction. */
  emitMany(transaction: TransactionLike, facts: readonly FactInput[]): Promise<FactEnvelope[]>
  /**
   * Runs the caller's INSERT, UPDATE or DELETE and emits the fact in the same statement: one round
   * trip for both. The fact is emitted once however many rows the statement touches; the
   * statement's own result (rows, RETURNING, row count) is not returned.
   */
  emitWith(transaction: TransactionLike, fact: FactInput, statement: FoldableStatement): Promise<FactEnvelope>
}

/**
 * A statement `emitWith` can carry a fact in: text with `$1`… parameters for any executor, or a
 * postgres.js query made with the transaction (`tx\`insert …\``) and not awaited.
 */
export type FoldableStatement = { text: string; params?: readonly unknown[] } | PostgresJsQuery

/**
 * Creates a producer. Every emit runs `pg_logical_emit_message(true, prefix, envelope)`: the
 * transactional form, so a fact exists exactly when the business transaction commits.
 * Throws `InvalidPrefixError` for a prefix that cannot name Kafka topics.
 */
export function createProducer(options: ProducerOptions): Producer {
  const { prefix, logger, metrics } = options
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
  const statementFolder = new StatementFolder()

  const prepare = (fact: FactInput): { envelope: FactEnvelope; bytes: Uint8Array } => {
    let input = fact
    if (!fact.traceInfo) {
      const traceInfo = currentTrace()
      if (traceInfo) input = { ...fact, traceInfo }
    }
    let envelope: FactEnvelope
    try {
      envelope = createEnvelope(input, envelopeOptions)
    } catch (error) {
      if (metrics) reportFailure([fact], error instanceof InvalidFactError ? 'validation' : 'marshal')
      throw error
    }
    let bytes: Uint8Array
    try {
      bytes = encodeEnvelope(envelope)
    } catch (error) {
      if (metrics) reportFailure([fact], 'marshal')
      throw error
    }
    if (bytes.length > maxPayloadBytes) {
      if (metrics) reportFailure([fact], 'validation')
      throw new PayloadTooLargeError(envelope, bytes.length, maxPayloadBytes)
    }
    return { envelope, bytes }
  }

  const reportFailure = (facts: readonly FactInput[], type: EmitFailureType) => {
    for (const fact of facts) metrics?.failed(labelOf(fact.aggregateType), labelOf(fact.eventType), type)
  }

  /** Runs the emit statement; with metrics, times it and counts the facts it carried. */
  const run = async (query: () => PromiseLike<unknown>, facts: readonly FactInput[]) => {
    const started = metrics ? performance.now() : 0
    try {
      await query()
    } catch (error) {
      if (metrics) reportFailure(facts, 'emit')
      throw new EmitDatabaseError(prefix, facts.length, error)
    }
    if (metrics) {
      const seconds = (performance.now() - started) / 1000
      for (const fact of facts) metrics.emitted(fact.aggregateType, fact.eventType, seconds)
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
    await run(() => executor.query(EMIT_ONE, [prefix, asBuffer(bytes)]), [fact])
    logEmitted([envelope])
    return envelope
  }

  /** A postgres.js query with helpers (`tx(row)`…) goes inside the emit as postgres.js builds it. */
  const emitNested = async (
    transaction: TransactionLike,
    fact: FactInput,
    statement: PostgresJsQuery,
  ): Promise<FactEnvelope> => {
    assertFoldable(statement.strings?.[0] ?? '')
    if (!isPostgresJsSql(transaction)) {
      throw new TypeError(
        'emitWith: a postgres.js statement goes with the postgres.js transaction it was made on',
      )
    }
    const { envelope, bytes } = prepare(fact)
    const sql = taggedTemplate(transaction)
    await run(
      () =>
        sql`WITH factlib_statement AS (${statement}) SELECT pg_logical_emit_message(true, ${prefix}, ${asBuffer(bytes)}::bytea)`,
      [fact],
    )
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
      await run(() => executor.query(EMIT_MANY, [prefix, joined, starts, lengths]), facts)
      const envelopes = prepared.map(({ envelope }) => envelope)
      logEmitted(envelopes)
      return envelopes
    },
    async emitWith(transaction, fact, statement) {
      const executor = resolveExecutor(transaction)
      // A postgres.js query of plain values runs as text: nesting it costs a second query object.
      const plain = isPostgresJsQuery(statement)
        ? postgresJsStatementText(statement)
        : { text: statement.text, params: statement.params ?? [] }
      // Only a postgres.js query can have no text form.
      if (!plain) return emitNested(transaction, fact, statement as PostgresJsQuery)
      const { text, params } = plain
      const folded = statementFolder.fold(text, params.length)
      const { envelope, bytes } = prepare(fact)
      // Run on the transaction given, whichever sql made the query: a pool-made query run as it
      // is would commit on its own, outside the business transaction.
      const parameters = [...params, prefix, asBuffer(bytes)]
      await run(() => executor.query(folded, parameters), [fact])
      logEmitted([envelope])
      return envelope
    },
  }
}

/** A label value from what the caller passed, which may not even be a string when validation fails. */
function labelOf(value: unknown): string {
  return typeof value === 'string' ? value : ''
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}
