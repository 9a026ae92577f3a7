export { InvalidFactError } from '@factlib/core'

/** The prefix given to `createProducer` is empty, too long, or not usable in a Kafka topic name. */
export class InvalidPrefixError extends Error {
  override readonly name = 'InvalidPrefixError'
  readonly prefix: string

  constructor(prefix: string, reason: string) {
    super(`Invalid producer prefix ${JSON.stringify(prefix)}: ${reason}`)
    this.prefix = prefix
  }
}

/** An encoded envelope is larger than the producer's `maxPayloadBytes`; nothing was emitted. */
export class PayloadTooLargeError extends Error {
  override readonly name = 'PayloadTooLargeError'
  readonly aggregateType: string
  readonly aggregateId: string
  readonly eventType: string
  /** Encoded envelope size in bytes. */
  readonly size: number
  readonly limit: number

  constructor(
    fact: { aggregateType: string; aggregateId: string; eventType: string },
    size: number,
    limit: number,
  ) {
    super(
      `Fact ${fact.aggregateType}/${fact.eventType} for aggregate ${fact.aggregateId} encodes to ${size} bytes, over the ${limit}-byte limit`,
    )
    this.aggregateType = fact.aggregateType
    this.aggregateId = fact.aggregateId
    this.eventType = fact.eventType
    this.size = size
    this.limit = limit
  }
}

/**
 * `emit` was given a connection that is not inside a transaction. A non-transactional logical
 * message would escape a rollback, so the producer refuses to emit it.
 */
export class NotInTransactionError extends Error {
  override readonly name = 'NotInTransactionError'
  /** What was passed, e.g. `postgres.js Sql`, `pg Pool`, `pg Client (idle)`, `Kysely`. */
  readonly executor: string

  constructor(executor: string) {
    super(
      `Cannot emit facts through a ${executor}: it is not inside a transaction. Call emit with the transaction ` +
        '(postgres.js: sql.begin(async (tx) => producer.emit(tx, fact))).',
    )
    this.executor = executor
  }
}

/**
 * `emitWith` was given a statement that cannot carry a fact: not an INSERT, UPDATE or DELETE, or
 * naming a `$n` parameter it was not given.
 */
export class UnfoldableStatementError extends Error {
  override readonly name = 'UnfoldableStatementError'
  readonly statement: string

  constructor(statement: string, problem?: string) {
    const start = statement.trim().slice(0, 40)
    super(
      problem
        ? `emitWith cannot carry the fact in ${JSON.stringify(start)}: ${problem}`
        : `emitWith needs an INSERT, UPDATE or DELETE to carry the fact; got ${JSON.stringify(start)}. ` +
            'Use emit for a fact of its own.',
    )
    this.statement = statement
  }
}

/** PostgreSQL refused `pg_logical_emit_message`; `cause` is the driver's error. */
export class EmitDatabaseError extends Error {
  override readonly name = 'EmitDatabaseError'
  /** SQLSTATE when the driver reported one (e.g. `25P02`: the transaction was already aborted). */
  readonly code: string | undefined
  readonly prefix: string
  readonly factCount: number

  constructor(prefix: string, factCount: number, cause: unknown) {
    const code = sqlStateOf(cause)
    const detail = cause instanceof Error ? cause.message : String(cause)
    super(`Emitting ${factCount} fact(s) with prefix ${JSON.stringify(prefix)} failed: ${detail}`, { cause })
    this.code = code
    this.prefix = prefix
    this.factCount = factCount
  }
}

function sqlStateOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined
  const code = (error as { code: unknown }).code
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined
}
