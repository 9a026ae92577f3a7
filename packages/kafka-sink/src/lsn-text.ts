const maxExact = BigInt(Number.MAX_SAFE_INTEGER)
const halfSpan = 0x1_0000_0000

/** PostgreSQL's text form of an LSN, `X/Y` in upper-case hex (as pg_lsn prints it). */
export function lsnText(lsn: bigint): string {
  let high: number
  let low: number
  if (lsn >= 0n && lsn <= maxExact) {
    // Every fact's headers carry one: plain numbers cover 8 PiB of WAL without bigint garbage.
    const value = Number(lsn)
    high = Math.floor(value / halfSpan)
    low = value - high * halfSpan
  } else {
    high = Number((lsn >> 32n) & 0xffffffffn)
    low = Number(lsn & 0xffffffffn)
  }
  return `${high.toString(16).toUpperCase()}/${low.toString(16).toUpperCase()}`
}
