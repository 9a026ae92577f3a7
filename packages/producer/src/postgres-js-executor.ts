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

// Per call site, the template of the folded statement: the caller's strings inside the WITH,
// then the prefix and envelope as two more values.
const foldedTemplates = new WeakMap<readonly string[], readonly string[]>()

/**
 * Turns a tagged query of plain values (one `postgresJsStatementText` spells out) into the folded
 * statement in place, its values followed by `extraValues`, and runs it. Running the caller's
 * query object instead of a new one saves a query object per emit, a fifth of emitWith's own
 * client CPU. The result must be the wrapper's one SELECT row: anything else means postgres.js ran
 * the caller's statement without the fact, and is refused so the transaction rolls back.
 */
export async function runFoldedTemplate(
  query: PostgresJsQuery,
  extraValues: readonly [string, Uint8Array],
): Promise<void> {
  const strings = query.strings!
  let folded = foldedTemplates.get(strings)
  if (!folded) {
    const last = strings.length - 1
    const parts = strings.map((part, index) =>
      index === last ? `${part}) SELECT pg_logical_emit_message(true, ` : part,
    )
    parts[0] = `WITH factlib_statement AS (${parts[0]}`
    parts.push(', ', '::bytea)')
    folded = Object.assign(parts, { raw: parts })
    foldedTemplates.set(strings, folded)
  }
  const mutable = query as unknown as { strings: readonly string[]; args: readonly unknown[] }
  mutable.strings = folded
  mutable.args = [...query.args!, ...extraValues]
  const result = (await query) as unknown as { command?: string; length: number }
  if (result.command !== 'SELECT' || result.length !== 1) {
    throw new Error(
      `postgres.js ran ${result.command ?? 'a statement'} instead of the folded emit; the fact was not emitted`,
    )
  }
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
