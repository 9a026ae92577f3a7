import { CompiledQuery, type Kysely } from 'kysely'
import type { SqlExecutor } from './sql-executor.js'

/**
 * Adapts a Kysely instance, normally the `trx` of `db.transaction().execute(async (trx) => …)`.
 * Passing the root `Kysely` (not a transaction) makes `emit` refuse with `NotInTransactionError`.
 * Import from `@factlib/producer/kysely`; it needs the `kysely` package.
 */
// biome-ignore lint/suspicious/noExplicitAny: any database schema
export function kyselyExecutor(db: Kysely<any>): SqlExecutor {
  return {
    description: db.isTransaction ? 'Kysely transaction' : 'Kysely (not a transaction)',
    query: (text, params) => db.executeQuery(CompiledQuery.raw(text, params)),
    inTransaction: () => db.isTransaction,
  }
}
