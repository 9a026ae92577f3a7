import { NotInTransactionError } from './errors.js'
import { isPgClient, isPgPool, pgExecutor } from './pg-executor.js'
import { isPostgresJsSql, type PostgresJsSql, postgresJsExecutor } from './postgres-js-executor.js'
import type { SqlExecutor } from './sql-executor.js'

/** Anything `emit` accepts as "the transaction". */
export type TransactionLike = PostgresJsSql | SqlExecutor

// One executor per postgres.js transaction object, so a burst of emits does not rebuild it.
const postgresJsExecutors = new WeakMap<PostgresJsSql, SqlExecutor>()

/** Turns what the caller passed into an executor, refusing anything known to be outside a transaction. */
export function resolveExecutor(transaction: TransactionLike): SqlExecutor {
  let executor: SqlExecutor
  if (isPostgresJsSql(transaction)) {
    let known = postgresJsExecutors.get(transaction)
    if (!known) {
      known = postgresJsExecutor(transaction)
      postgresJsExecutors.set(transaction, known)
    }
    executor = known
  } else if (
    typeof transaction === 'object' &&
    transaction !== null &&
    typeof transaction.query === 'function'
  ) {
    if (isPgPool(transaction)) throw new NotInTransactionError('pg Pool')
    // A node-postgres client passed as is: wrap it so its transaction status is checked.
    executor = isPgClient(transaction) ? pgExecutor(transaction) : transaction
  } else {
    throw new TypeError('emit needs a postgres.js transaction or an executor with query(text, params)')
  }
  if (executor.inTransaction?.() === false) {
    throw new NotInTransactionError(executor.description ?? 'executor that reports no open transaction')
  }
  return executor
}
