/** PostgreSQL's text form of an LSN, `X/Y` in upper-case hex (as pg_lsn prints it). */
export function lsnText(lsn: bigint): string {
  const high = (lsn >> 32n) & 0xffffffffn
  const low = lsn & 0xffffffffn
  return `${high.toString(16).toUpperCase()}/${low.toString(16).toUpperCase()}`
}
