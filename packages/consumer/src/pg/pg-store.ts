import { type AppliedMarksOptions, appliedMarksSql, isCreateRace } from '../applied-marks-sql.js'
import { TransactionRolledBackError } from '../errors.js'
import type { FactStore } from '../fact-store.js'

/** The part of a node-postgres `PoolClient` the store uses. */
export interface PgPoolClientLike {
  query(text: string, values?: unknown[]): Promise<{ rowCount: number | null; command?: string }>
  /** Returns the client to the pool; with an error, the pool discards the connection. */
  release(error?: Error | boolean): void
}

/** The part of a node-postgres `Pool` the store uses. */
export interface PgPoolLike<C extends PgPoolClientLike> {
  connect(): Promise<C>
}

/**
 * The applied-marks store on node-postgres: each fact on a client of `pool` between `BEGIN` and
 * `COMMIT`, the handler getting that client (a `pg.PoolClient`). The pool (`max`, 10 by default)
 * should allow at least the consumer's `maxInFlight` clients.
 */
export function pgStore<C extends PgPoolClientLike>(
  pool: PgPoolLike<C>,
  options: AppliedMarksOptions = {},
): FactStore<C> {
  const statements = appliedMarksSql(options)
  const withClient = async <T>(work: (client: C) => Promise<T>): Promise<T> => {
    const client = await pool.connect()
    try {
      const result = await work(client)
      client.release()
      return result
    } catch (error) {
      // A connection that failed mid-transaction may be in any state: the pool drops it.
      client.release(error instanceof Error ? error : true)
      throw error
    }
  }
  return {
    description: `pg ${statements.table}`,
    async prepare() {
      for (const statement of statements.create) {
        try {
          await withClient((client) => client.query(statement))
        } catch (error) {
          if (!isCreateRace(error)) throw error
        }
      }
    },
    applyOnce(consumerGroup, key, apply) {
      return withClient(async (client) => {
        await client.query('BEGIN')
        try {
          const marked = await client.query(statements.mark, [consumerGroup, key])
          if (marked.rowCount === 0) {
            await commit(client, key)
            return 'already-applied'
          }
          await apply(client)
          await commit(client, key)
          return 'applied'
        } catch (error) {
          await client.query('ROLLBACK').catch(() => {})
          throw error
        }
      })
    },
    async prune(consumerGroup, olderThanMs, limit) {
      const deleted = await withClient((client) =>
        client.query(statements.prune, [consumerGroup, Math.round(olderThanMs), limit]),
      )
      return deleted.rowCount ?? 0
    },
  }
}

/**
 * COMMIT of a transaction in which a statement failed answers ROLLBACK without an error, which
 * pg passes on as a success: a handler that caught a statement's error would look applied.
 */
async function commit(client: PgPoolClientLike, key: string): Promise<void> {
  const result = await client.query('COMMIT')
  if (result.command === 'ROLLBACK') throw new TransactionRolledBackError(key)
}
