import type { Sql } from 'postgres'
import { untilAnswered } from './in-doubt.js'

/**
 * The ground truth of what committed. Writers insert one row per kept fact (and the harness one
 * per poison message) in the same transaction as the emit, so a commit whose reply was lost to a
 * PostgreSQL restart is still decided by the database, not by what the writer believed.
 */
export async function createLedger(sql: Sql): Promise<void> {
  await sql`
    create table chaos_ledger (
      id uuid primary key,
      aggregate_id text not null,
      sequence integer not null
    )`
  await sql`create table chaos_poison (marker text primary key)`
}

export interface LedgerFact {
  id: string
  aggregateId: string
  sequence: number
}

/** Every fact the database says committed. */
export async function committedFacts(sql: Sql): Promise<LedgerFact[]> {
  const rows = await untilAnswered(
    () => sql<{ id: string; aggregate_id: string; sequence: number }[]>`
      select id::text, aggregate_id, sequence from chaos_ledger`,
  )
  return rows.map((row) => ({ id: row.id, aggregateId: row.aggregate_id, sequence: row.sequence }))
}

/** Every poison message the database says committed. */
export async function committedPoison(sql: Sql): Promise<string[]> {
  const rows = await untilAnswered(() => sql<{ marker: string }[]>`select marker from chaos_poison`)
  return rows.map((row) => row.marker)
}
