import { encodeEnvelope, uuidV7 } from '@factlib/core/wire'
import { createDatabase, startPostgres, uniqueName } from '@factlib/testing'
import { parseLsn } from '@factlib/wal'
import postgres from 'postgres'

/** A database, slot and publication of one test's own on the shared test server. */
export async function relayWorld(label: string) {
  const db = await createDatabase(await startPostgres(), label)
  const sql = postgres(db.url, { max: 4, onnotice: () => {} })
  const names = { slot: uniqueName(`${label}_slot`), publication: uniqueName(`${label}_pub`) }
  /** Commits facts (prefix, aggregate id) in one transaction, as a factlib producer would. */
  const emit = (facts: Array<{ prefix: string; aggregateId: string }>, rollback = false) =>
    sql
      .begin(async (tx) => {
        for (const fact of facts) {
          const bytes = encodeEnvelope({
            id: uuidV7(),
            aggregateType: 'order',
            aggregateId: fact.aggregateId,
            eventType: 'order.placed',
            payload: new TextEncoder().encode('{}'),
            createdAt: 1n,
            metadata: {},
          })
          await tx`select pg_logical_emit_message(true, ${fact.prefix}, ${Buffer.from(bytes)})`
        }
        if (rollback) throw new Error('rolled back on purpose')
      })
      .catch((error: Error) => {
        if (!rollback) throw error
      })
  const confirmedLsn = async () => {
    const [row] = await sql<{ lsn: string | null }[]>`
      select confirmed_flush_lsn::text as lsn from pg_replication_slots where slot_name = ${names.slot}`
    return row?.lsn ? parseLsn(row.lsn) : 0n
  }
  const currentLsn = async () =>
    parseLsn((await sql<{ lsn: string }[]>`select pg_current_wal_lsn()::text as lsn`)[0]!.lsn)
  return { url: db.url, sql, ...names, emit, confirmedLsn, currentLsn }
}
