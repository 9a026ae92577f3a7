import { setTimeout as sleep } from 'node:timers/promises'
import type { Sql } from 'postgres'

/**
 * Runs `query` until PostgreSQL answers it: the harness restarts PostgreSQL under its own
 * connections, so any query may meet a dead connection once.
 */
export async function untilAnswered<T>(query: () => Promise<T>, timeoutMs = 180_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    try {
      return await query()
    } catch (error) {
      if (Date.now() > deadline) throw error
      await sleep(250)
    }
  }
}

/**
 * Whether a transaction whose outcome the client never learned did commit, read from its ledger
 * row. The question only arises while PostgreSQL restarts, so it is asked until answered.
 */
export async function didCommit(
  sql: Sql,
  table: 'chaos_ledger' | 'chaos_poison',
  column: 'id' | 'marker',
  key: string,
): Promise<boolean> {
  const rows = await untilAnswered(() => sql`select 1 from ${sql(table)} where ${sql(column)} = ${key}`)
  return rows.length > 0
}
