import type postgres from 'postgres'
import { type AppliedMarksOptions, appliedMarksSql, isCreateRace } from '../applied-marks-sql.js'
import type { ApplyOutcome, FactStore } from '../fact-store.js'

/**
 * The applied-marks store on postgres.js: each fact in `sql.begin`, the handler getting the
 * `TransactionSql`. Takes one pool connection per transaction, so the pool (`max`) should be at
 * least the consumer's `maxInFlight`.
 */
export function postgresJsStore(
  sql: postgres.Sql,
  options: AppliedMarksOptions = {},
): FactStore<postgres.TransactionSql> {
  const statements = appliedMarksSql(options)
  return {
    description: `postgres.js ${statements.table}`,
    async prepare() {
      for (const statement of statements.create) {
        try {
          await sql.unsafe(statement)
        } catch (error) {
          if (!isCreateRace(error)) throw error
        }
      }
    },
    async applyOnce(consumerGroup, key, apply) {
      return (await sql.begin(async (tx): Promise<ApplyOutcome> => {
        const marked = await tx.unsafe(statements.mark, [consumerGroup, key], { prepare: true })
        if (marked.count === 0) return 'already-applied'
        await apply(tx)
        return 'applied'
      })) as ApplyOutcome
    },
    async prune(consumerGroup, olderThanMs, limit) {
      const deleted = await sql.unsafe(statements.prune, [consumerGroup, Math.round(olderThanMs), limit])
      return deleted.count
    },
  }
}
