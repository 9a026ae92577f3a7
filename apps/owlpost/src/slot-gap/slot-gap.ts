import type { MissingSlot } from '@factlib/relay'
import { formatLsn } from '@factlib/wal'
import type { RelayedPosition } from './kafka-evidence.js'

/** Why a slot is missing, in the words the operator needs to act on. */
export type GapCause = 'new system identifier' | 'no failover slot' | 'slot dropped'

/** The WAL that a slot created now would never read, and why it came to that. */
export interface SlotGap {
  slot: string
  /** The newest position known to have been relayed: the gap starts after it. */
  relayedLsn: string
  /** Where a new slot would start. */
  currentWalLsn: string
  cause: GapCause
  evidence: string
  explanation: string
  message: string
}

function causeOf(missing: MissingSlot, relayed: bigint): { cause: GapCause; explanation: string } {
  if (relayed > missing.currentWalLsn) {
    return {
      cause: 'new system identifier',
      explanation:
        `this server's WAL is at ${formatLsn(missing.currentWalLsn)}, behind what was relayed, so it is not the ` +
        `server the facts came from (system identifier ${missing.systemId}: restored, rebuilt or replaced)`,
    }
  }
  if (missing.timeline > 1) {
    const why =
      missing.serverVersion < 170000
        ? `PostgreSQL ${Math.floor(missing.serverVersion / 10000)} has no failover slots`
        : 'the slot was not a failover slot, or the standby had not synchronised it (sync_replication_slots, see the README)'
    return {
      cause: 'no failover slot',
      explanation: `the server was promoted (timeline ${missing.timeline}) and the slot did not come with it: ${why}`,
    }
  }
  return {
    cause: 'slot dropped',
    explanation:
      'the server was never promoted (timeline 1), so the slot was dropped (pg_drop_replication_slot) or ' +
      'invalidated (max_slot_wal_keep_size)',
  }
}

/** The gap a new slot would leave after `relayed`, or undefined when nothing was relayed before. */
export function slotGap(missing: MissingSlot, relayed: RelayedPosition | undefined): SlotGap | undefined {
  if (!relayed) return undefined
  const { cause, explanation } = causeOf(missing, relayed.lsn)
  const from = formatLsn(relayed.lsn)
  const to = formatLsn(missing.currentWalLsn)
  const range = relayed.lsn < missing.currentWalLsn ? `WAL after ${from} up to ${to}` : `WAL after ${from}`
  const message =
    `replication slot "${missing.slot}" is missing, but facts were relayed from it up to ${from} ` +
    `(${relayed.source}); a new slot would start at ${to} and never read ${range}, so facts committed ` +
    `there may be lost. Cause: ${cause}: ${explanation}. owlpost will not create the slot; set ` +
    'ALLOW_SLOT_RECREATE=true to accept the gap explicitly'
  return {
    slot: missing.slot,
    relayedLsn: from,
    currentWalLsn: to,
    cause,
    evidence: relayed.source,
    explanation,
    message,
  }
}
