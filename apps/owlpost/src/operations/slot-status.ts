import { parseLsn, type ReplicationConnection, sqlLiteral } from '@factlib/wal'

export interface SlotStatus {
  slot: string
  exists: boolean
  active?: boolean
  activePid?: number | null
  plugin?: string | null
  confirmedFlushLsn?: string | null
  restartLsn?: string | null
  currentWalLsn: string
  /** pg_current_wal_lsn() minus confirmed_flush_lsn: WAL the slot keeps that owlpost has not confirmed. */
  lagBytes?: number
  publication: string
  publicationExists: boolean
}

/** The slot as PostgreSQL sees it; plain SQL works on a replication=database connection. */
export async function readSlotStatus(
  connection: ReplicationConnection,
  names: { slot: string; publication: string },
): Promise<SlotStatus> {
  const result = await connection.query(
    `select s.active::text, s.active_pid::text, s.plugin, s.confirmed_flush_lsn::text, s.restart_lsn::text,
            pg_current_wal_lsn()::text,
            exists(select 1 from pg_catalog.pg_publication where pubname = ${sqlLiteral(names.publication)})::text
       from (select 1) as one
       left join pg_catalog.pg_replication_slots s on s.slot_name = ${sqlLiteral(names.slot)}`,
  )
  const [active, activePid, plugin, confirmed, restart, current, publicationExists] = result.rows[0] ?? []
  const exists = active !== null && active !== undefined
  const status: SlotStatus = {
    slot: names.slot,
    exists,
    currentWalLsn: current ?? '0/0',
    publication: names.publication,
    publicationExists: publicationExists === 'true',
  }
  if (!exists) return status
  return {
    ...status,
    active: active === 'true',
    activePid: activePid ? Number(activePid) : null,
    plugin: plugin ?? null,
    confirmedFlushLsn: confirmed ?? null,
    restartLsn: restart ?? null,
    ...(confirmed && current ? { lagBytes: Number(parseLsn(current) - parseLsn(confirmed)) } : {}),
  }
}
