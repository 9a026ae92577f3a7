import { type AppliedMarksOptions, appliedMarksSql, isCreateRace } from '../applied-marks-sql.js'
import type { ApplyOutcome, FactStore } from '../fact-store.js'

/**
 * A postgres.js `sql` pool, 3 or 4, typed by the calls the store makes rather than imported from
 * postgres: a copy of another major than the caller's would refuse the caller's pool (the
 * producer's PostgresJsSql does the same). `Tx` is inferred from the caller's own `begin`, so the
 * handler's `tx` is the caller's major's TransactionSql; both majors declare `begin(options,
 * callback)` last, the overload inference reads. `unsafe`'s parameters are `never`, so each
 * major's own fit.
 */
export interface PostgresJsPool<Tx> {
  begin(options: string, callback: (tx: Tx) => unknown): PromiseLike<unknown>
  unsafe(query: string, parameters?: never[], options?: never): PromiseLike<unknown>
}

/** What the store itself sends, through the caller's pool or transaction. */
type Unsafe = (
  query: string,
  parameters?: unknown[],
  options?: { prepare: boolean },
) => Promise<{ count: number }>
const unsafeOf = (target: unknown): Unsafe => {
  const unsafe = (target as { unsafe: Unsafe }).unsafe
  return (query, parameters, options) => unsafe.call(target, query, parameters, options)
}

/**
 * The applied-marks store on postgres.js: each fact in `sql.begin`, the handler getting the
 * `TransactionSql`. Takes one pool connection per transaction, so the pool (`max`) should be at
 * least the consumer's `maxInFlight`.
 */
export function postgresJsStore<Tx>(
  sql: PostgresJsPool<Tx>,
  options: AppliedMarksOptions = {},
): FactStore<Tx> {
  const statements = appliedMarksSql(options)
  const pool = unsafeOf(sql)
  const begin = (
    sql as unknown as { begin: (callback: (tx: unknown) => Promise<ApplyOutcome>) => Promise<unknown> }
  ).begin
  return {
    description: `postgres.js ${statements.table}`,
    async prepare() {
      for (const statement of statements.create) {
        try {
          await pool(statement)
        } catch (error) {
          if (!isCreateRace(error)) throw error
        }
      }
    },
    async applyOnce(consumerGroup, key, apply) {
      return (await begin.call(sql, async (tx): Promise<ApplyOutcome> => {
        const marked = await unsafeOf(tx)(statements.mark, [consumerGroup, key], { prepare: true })
        if (marked.count === 0) return 'already-applied'
        await apply(tx as Tx)
        return 'applied'
      })) as ApplyOutcome
    },
    async prune(consumerGroup, olderThanMs, limit) {
      const deleted = await pool(statements.prune, [consumerGroup, Math.round(olderThanMs), limit])
      return deleted.count
    },
  }
}
