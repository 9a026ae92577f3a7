import type postgres from 'postgres'
import type { SqlExecutor } from './sql-executor.js'

/** A postgres.js `sql`, `TransactionSql` or `ReservedSql`. */
export type PostgresJsSql = postgres.Sql | postgres.TransactionSql | postgres.ReservedSql

/** A postgres.js query made with a tagged template and not yet awaited. */
export type PostgresJsQuery = postgres.PendingQuery<postgres.Row[]> & { readonly strings?: readonly string[] }

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
