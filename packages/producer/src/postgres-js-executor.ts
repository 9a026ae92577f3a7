import type postgres from 'postgres'
import type { SqlExecutor } from './sql-executor.js'

/** A postgres.js `sql`, `TransactionSql` or `ReservedSql`. */
export type PostgresJsSql = postgres.Sql | postgres.TransactionSql | postgres.ReservedSql

/** A postgres.js query made with a tagged template and not yet awaited. */
export type PostgresJsQuery = postgres.PendingQuery<postgres.Row[]> & {
  readonly strings?: readonly string[]
  readonly args?: readonly unknown[]
}

const isPlainParameter = (value: unknown) =>
  value === null ||
  (typeof value !== 'object' && typeof value !== 'function') ||
  value instanceof Date ||
  value instanceof Uint8Array

/** True for a query written as a tagged template (`tx\`…\``), false for `sql.unsafe`. */
export function isTaggedTemplate(query: PostgresJsQuery): boolean {
  return Array.isArray((query.strings as { raw?: unknown } | undefined)?.raw)
}

// A tagged template's strings array is one object per call site, so its text is built once.
const templateTexts = new WeakMap<readonly string[], string>()

/**
 * The query as text with `$1`… and its parameters, when every interpolated value is a plain one
 * (string, number, bigint, boolean, null, Date, bytes): postgres.js numbers those in order, so the
 * text is what it would send. Helpers (`tx(row)`, identifiers, fragments, typed or array values)
 * give undefined, and the query is then nested as postgres.js builds it. A `sql.unsafe` query is its
 * text and parameters as given.
 */
export function postgresJsStatementText(
  query: PostgresJsQuery,
): { text: string; params: readonly unknown[] } | undefined {
  const { strings, args } = query
  if (!strings || !args) return undefined
  // sql.unsafe(text, params): its text and parameters as given (nested, postgres.js would drop them).
  if (!isTaggedTemplate(query)) return { text: strings[0] ?? '', params: args }
  if (args.length !== strings.length - 1 || !args.every(isPlainParameter)) return undefined
  let text = templateTexts.get(strings)
  if (text === undefined) {
    text = strings[0]!
    for (let index = 1; index < strings.length; index++) text += `$${index}${strings[index]}`
    templateTexts.set(strings, text)
  }
  return { text, params: args }
}

export function isPostgresJsSql(candidate: unknown): candidate is PostgresJsSql {
  return typeof candidate === 'function' && typeof (candidate as { unsafe?: unknown }).unsafe === 'function'
}

/**
 * Runs statements through postgres.js as prepared statements. Only a `TransactionSql` (it has
 * `savepoint`) is known to be in a transaction; the pool-level `sql` (it has `begin`) is refused;
 * a reserved connection may or may not have run BEGIN, so it is allowed.
 */
export function postgresJsExecutor(sql: PostgresJsSql): SqlExecutor {
  const kind = 'savepoint' in sql ? 'transaction' : 'begin' in sql ? 'pool' : 'reserved'
  return {
    description: kind === 'pool' ? 'postgres.js Sql (pool, not a transaction)' : `postgres.js ${kind}`,
    query: (text, params) => sql.unsafe(text, params as postgres.ParameterOrJSON<never>[], { prepare: true }),
    inTransaction: () => (kind === 'transaction' ? true : kind === 'pool' ? false : undefined),
  }
}
