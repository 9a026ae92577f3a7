import { describe, expect, it } from 'vitest'
import { slotGap } from './slot-gap.js'

const missing = {
  slot: 'factlib_slot',
  serverVersion: 150013,
  systemId: '7400000000000000001',
  timeline: 1,
  currentWalLsn: 0x3000000n,
  confirmedBefore: 0n,
}
const relayed = { lsn: 0x2000000n, source: 'LSN header of shop.order partition 0 offset 9' }

describe('the gap a new slot would leave', () => {
  it('is none without evidence of an earlier run', () => {
    expect(slotGap(missing, undefined)).toBeUndefined()
  })

  it('names the range, the evidence and the cause: slot dropped, no failover slot, new system', () => {
    const dropped = slotGap(missing, relayed)!
    expect(dropped).toMatchObject({
      cause: 'slot dropped',
      relayedLsn: '0/2000000',
      currentWalLsn: '0/3000000',
    })
    expect(dropped.message).toContain('never read WAL after 0/2000000 up to 0/3000000')
    expect(dropped.message).toContain(relayed.source)
    expect(dropped.message).toContain('ALLOW_SLOT_RECREATE=true')

    const promoted15 = slotGap({ ...missing, timeline: 2 }, relayed)!
    expect(promoted15.cause).toBe('no failover slot')
    expect(promoted15.explanation).toContain('PostgreSQL 15 has no failover slots')
    const promoted17 = slotGap({ ...missing, timeline: 3, serverVersion: 170005 }, relayed)!
    expect(promoted17.explanation).toContain('not a failover slot, or the standby had not synchronised it')

    const elsewhere = slotGap({ ...missing, currentWalLsn: 0x1000000n, timeline: 2 }, relayed)!
    expect(elsewhere.cause).toBe('new system identifier')
    expect(elsewhere.message).toContain('never read WAL after 0/2000000')
  })
})
