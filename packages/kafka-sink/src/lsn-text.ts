const maxExact = BigInt(Number.MAX_SAFE_INTEGER)

/** PostgreSQL's text form of an LSN, `X/Y` in upper-case hex (as pg_lsn prints it). */
export function lsnText(lsn: bigint): string {
  // Every fact's headers carry one: plain numbers cover 8 PiB of WAL without bigint garbage.
  if (lsn >= 0n && lsn <= maxExact) {
    const value = Number(lsn)
    const high = Math.floor(value / 0x1_0000_0000)
    const low = value - high * 0x1_0000_0000
    return `${high.toString(16).toUpperCase()}/${low.toString(16).toUpperCase()}`
  }
  const high = (lsn >> 32n) & 0xffffffffn
  const low = lsn & 0xffffffffn
  return `${high.toString(16).toUpperCase()}/${low.toString(16).toUpperCase()}`
}
