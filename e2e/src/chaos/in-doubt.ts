import { setTimeout as sleep } from 'node:timers/promises'
import type { Sql } from 'postgres'

/**
 * Whether a transaction whose outcome the client never learned did commit, read from its ledger
 * row. Retries until PostgreSQL answers again: the question only arises while it restarts.
 */
export async function didCommit(
  sql: Sql,
  table: 'chaos_ledger' | 'chaos_poison',
  column: 'id' | 'marker',
  key: string,
  timeoutMs = 180_000,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    try {
      const rows = await sql`select 1 from ${sql(table)} where ${sql(column)} = ${key}`
      return rows.length > 0
    } catch (error) {
      if (Date.now() > deadline) throw error
      await sleep(250)
    }
  }
}
