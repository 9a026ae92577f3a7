import { waitFor } from '@factlib/testing'
import type { Sql } from 'postgres'
import { untilAnswered } from './in-doubt.js'

/**
 * Waits until the slot's confirmed position reaches the WAL end as of now: owlpost confirms only
 * what Kafka acknowledged, so from then on everything committed is in Kafka. Returns false on
 * timeout rather than throwing: reading the topics then decides what is missing.
 */
export async function waitForSlotCatchUp(sql: Sql, slot: string, timeoutMs: number): Promise<boolean> {
  const [target] = await untilAnswered(() => sql<{ lsn: string }[]>`select pg_current_wal_lsn()::text as lsn`)
  try {
    await waitFor(
      `slot ${slot} confirmed up to ${target?.lsn}`,
      async () => {
        const rows = await sql<{ done: boolean }[]>`
          select confirmed_flush_lsn >= ${target?.lsn ?? '0/0'}::pg_lsn as done
          from pg_replication_slots where slot_name = ${slot}`
        return rows[0]?.done === true
      },
      timeoutMs,
    )
    return true
  } catch {
    return false
  }
}
