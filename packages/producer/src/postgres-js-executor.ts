import type { SqlExecutor } from './sql-executor.js'

/**
 * A postgres.js `sql`, `TransactionSql` or `ReservedSql` (postgres.js 3 or 4), typed by the part
 * the producer calls rather than imported from postgres: the package needs no copy of postgres of
 * its own, whose types, of another major than the caller's, would refuse the caller's `tx`.
 * Call parameters are `never`: each major's own parameter types fit there, and postgres.js checks
 * the values itself.
 */
export interface PostgresJsSql {
  (template: TemplateStringsArray, ...parameters: never[]): Promise<unknown>
  unsafe(query: string, parameters: never[], options: { prepare: boolean }): Promise<unknown>
}

/**
 * A postgres.js query made with a tagged template or `unsafe` and not yet awaited. Both majors set
 * `strings` and `args` on every query without declaring them, so they are optional here.
 */
export interface PostgresJsQuery extends PromiseLike<unknown> {
  readonly strings?: readonly string[]
  readonly args?: readonly unknown[]
}

/**
 * True for a postgres.js query, false for `{ text, params }`. A query is awaitable; postgres.js 4's
 * queries also have a `text` (the built text, without the parameters), so `'text' in` cannot tell.
 */
export function isPostgresJsQuery(statement: object): statement is PostgresJsQuery {
  return typeof (statement as { then?: unknown }).then === 'function'
}

/** The same `sql`, callable with values of any type in the template (postgres.js checks them). */
export function taggedTemplate(
  sql: PostgresJsSql,
): (template: TemplateStringsArray, ...values: unknown[]) => PromiseLike<unknown> {
  return sql as unknown as (template: TemplateStringsArray, ...values: unknown[]) => PromiseLike<unknown>
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
 * `savepoint`) is known to be in a transaction; the pool-level `sql` (it has `begin`, and no
 * `savepoint`; postgres.js 4 gives a `TransactionSql` a `begin` too) is refused; a reserved
 * connection may or may not have run BEGIN, so it is allowed.
 */
export function postgresJsExecutor(sql: PostgresJsSql): SqlExecutor {
  const kind = 'savepoint' in sql ? 'transaction' : 'begin' in sql ? 'pool' : 'reserved'
  return {
    description: kind === 'pool' ? 'postgres.js Sql (pool, not a transaction)' : `postgres.js ${kind}`,
    query: (text, params) => sql.unsafe(text, params as never[], { prepare: true }),
    inTransaction: () => (kind === 'transaction' ? true : kind === 'pool' ? false : undefined),
  }
}
