/**
 * Log sequence numbers are 64-bit positions in the WAL. PostgreSQL prints them as two hexadecimal
 * halves, `HIGH/LOW` (e.g. `16/B374D848`); on the wire they are plain big-endian 64-bit integers.
 */

const maxLsn = 0xffff_ffff_ffff_ffffn
const lsnPattern = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/

/** The zero LSN, which PostgreSQL uses for "no position" (InvalidXLogRecPtr). */
export const invalidLsn = 0n

export class InvalidLsnError extends Error {
  override readonly name = 'InvalidLsnError'
  constructor(readonly input: string) {
    super(`invalid LSN ${JSON.stringify(input)}: expected two hexadecimal halves like '16/B374D848'`)
  }
}

/** Parses the text form PostgreSQL prints (`pg_current_wal_lsn()`, `confirmed_flush_lsn`). */
export function parseLsn(text: string): bigint {
  const match = lsnPattern.exec(text)
  if (!match) throw new InvalidLsnError(text)
  return (BigInt(`0x${match[1]}`) << 32n) | BigInt(`0x${match[2]}`)
}

const maxExact = BigInt(Number.MAX_SAFE_INTEGER)
const halfSpan = 0x1_0000_0000

/** Formats an LSN the way PostgreSQL prints it: upper-case hexadecimal without leading zeros. */
export function formatLsn(lsn: bigint): string {
  let high: number
  let low: number
  if (lsn >= 0n && lsn <= maxExact) {
    // Every fact's Kafka headers carry one: plain numbers cover 8 PiB of WAL without bigint garbage.
    const value = Number(lsn)
    high = Math.floor(value / halfSpan)
    low = value - high * halfSpan
  } else {
    if (lsn < 0n || lsn > maxLsn) throw new RangeError(`LSN ${lsn} is outside the unsigned 64-bit range`)
    high = Number(lsn >> 32n)
    low = Number(lsn & 0xffff_ffffn)
  }
  return `${high.toString(16).toUpperCase()}/${low.toString(16).toUpperCase()}`
}
