import type { ReplicationConnection } from '@factlib/wal'
import { sqlLiteral } from '@factlib/wal'

/** Whether the slot would survive a failover of the primary, and why (not). */
export interface FailoverSafety {
  safe: boolean
  reason: string
  /** The physical slots the primary waits for (synchronized_standby_slots), when set. */
  standbySlots?: string[]
}

/**
 * A slot survives a failover when it is a failover slot (PostgreSQL 17) and the primary holds
 * logical decoding back until its standbys' physical slots (synchronized_standby_slots) have
 * the WAL, so the standby's synchronised copy is never behind what owlpost confirmed.
 */
export async function readFailoverSafety(
  connection: ReplicationConnection,
  slot: string,
): Promise<FailoverSafety> {
  if (connection.serverVersion < 170000) {
    const major = Math.floor(connection.serverVersion / 10000)
    return {
      safe: false,
      reason: `PostgreSQL ${major} has no failover slots (17 or later): after a failover the new primary has no slot`,
    }
  }
  const { rows } = await connection.query(
    `select (select failover::text from pg_catalog.pg_replication_slots where slot_name = ${sqlLiteral(slot)}),
            current_setting('synchronized_standby_slots'),
            (select string_agg(slot_name, ',') from pg_catalog.pg_replication_slots
              where slot_type = 'physical' and active
                and slot_name = any(string_to_array(replace(current_setting('synchronized_standby_slots'), ' ', ''), ',')))`,
  )
  const [failover, setting, activeStandbySlots] = rows[0] ?? []
  const standbySlots = (setting ?? '')
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name.length > 0)
  if (failover === null || failover === undefined) return { safe: false, reason: 'the slot does not exist' }
  if (failover !== 'true') {
    return { safe: false, reason: 'the slot is not a failover slot (FAILOVER_SLOT=false, or made elsewhere)' }
  }
  if (standbySlots.length === 0) {
    return {
      safe: false,
      reason:
        'synchronized_standby_slots is not set on the primary: the slot may run ahead of the standby, whose copy then misses facts',
    }
  }
  const active = new Set((activeStandbySlots ?? '').split(',').filter((name) => name))
  const idle = standbySlots.filter((name) => !active.has(name))
  if (idle.length > 0) {
    return {
      safe: false,
      standbySlots,
      reason: `standby slot${idle.length > 1 ? 's' : ''} ${idle.join(', ')} of synchronized_standby_slots ${idle.length > 1 ? 'are' : 'is'} not streaming`,
    }
  }
  return {
    safe: true,
    standbySlots,
    reason: `failover slot, kept in step with standby slot${standbySlots.length > 1 ? 's' : ''} ${standbySlots.join(', ')}`,
  }
}
