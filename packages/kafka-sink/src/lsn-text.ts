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

/** Reads `X/Y` (hex, either case) back into an LSN; undefined when the text is not one. */
export function parseLsnText(text: string): bigint | undefined {
  const match = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/.exec(text)
  if (!match) return undefined
  return (BigInt(`0x${match[1]}`) << 32n) | BigInt(`0x${match[2]}`)
}
