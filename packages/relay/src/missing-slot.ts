/** What the relay knows when it finds its slot missing, for a guard to judge whether facts would be skipped. */
export interface MissingSlot {
  slot: string
  /** server_version_num of the server the relay is connected to. */
  serverVersion: number
  /** IDENTIFY_SYSTEM: a promoted standby keeps the system identifier and moves to a later timeline. */
  systemId: string
  timeline: number
  /** Where a slot created now would start: everything committed before it is never read. */
  currentWalLsn: bigint
  /** The position this relay confirmed from the slot before it went missing; 0n when none this run. */
  confirmedBefore: bigint
}

/**
 * Decides whether the missing slot may be created. Throw (a SlotRecreateRefusedError) to refuse:
 * the relay then halts instead of skipping WAL silently.
 */
export type MissingSlotGuard = (missing: MissingSlot) => Promise<void>

/** Thrown by a guard that refuses to create the slot; it halts the relay rather than retrying. */
export class SlotRecreateRefusedError extends Error {
  override readonly name = 'SlotRecreateRefusedError'
}
