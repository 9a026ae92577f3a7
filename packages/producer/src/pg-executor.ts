import type { SqlExecutor } from './sql-executor.js'

/** The part of a node-postgres `Client` / `PoolClient` the producer uses. */
export interface PgClientLike {
  query(text: string, values?: unknown[]): Promise<unknown>
  /** pg ≥ 8.14: 'I' idle, 'T' in a transaction, 'E' in a failed transaction. */
  getTransactionStatus?(): string | null
}

/**
 * Adapts a node-postgres client (a `Client` or a `PoolClient` from `pool.connect()`) on which
 * the caller ran `BEGIN`. Emitting while the client reports it is idle is refused. A `Pool`
 * cannot be used: each `pool.query` may run on a different connection, outside any transaction.
 */
export function pgExecutor(client: PgClientLike): SqlExecutor {
  return {
    description: 'pg Client',
    query: (text, params) => client.query(text, params),
    inTransaction() {
      const status = client.getTransactionStatus?.()
      if (status === 'I') return false
      if (status === 'T' || status === 'E') return true
      return undefined
    },
  }
}

/** True for a node-postgres `Pool` (duck-typed so `pg` need not be installed). */
export function isPgPool(candidate: object): boolean {
  return (
    'totalCount' in candidate &&
    'idleCount' in candidate &&
    typeof (candidate as { connect?: unknown }).connect === 'function'
  )
}

/** True for a node-postgres `Client`/`PoolClient` that is not already an executor. */
export function isPgClient(candidate: object): candidate is PgClientLike {
  return (
    typeof (candidate as PgClientLike).getTransactionStatus === 'function' &&
    typeof (candidate as { inTransaction?: unknown }).inTransaction !== 'function'
  )
}
