import { existsSync, readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * The captured pgoutput streams live in `shared/vectors` beside the repository clone (CI lays a
 * copy there too), so resolve from the repository root rather than from any absolute path.
 */
export function sharedVectorsDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url))
  while (!existsSync(join(dir, 'pnpm-workspace.yaml'))) {
    const parent = dirname(dir)
    if (parent === dir) throw new Error('cannot find the repository root (pnpm-workspace.yaml)')
    dir = parent
  }
  return resolve(dir, '..', 'shared', 'vectors')
}

export interface CapturedRow {
  lsn: string
  xid: number
  data: Uint8Array
}

export type CapturedStream = 'pgoutput-v1' | 'pgoutput-v2-streaming' | 'pgoutput-v1-messages-only'

/** Rows of `lsn <TAB> xid <TAB> hex`, one pgoutput message each. */
export function loadCapturedStream(name: CapturedStream): CapturedRow[] {
  const text = readFileSync(join(sharedVectorsDir(), 'pgoutput', `${name}.tsv`), 'utf8')
  return text
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => {
      const [lsn, xid, hex] = line.split('\t')
      return { lsn: lsn!, xid: Number(xid), data: new Uint8Array(Buffer.from(hex!, 'hex')) }
    })
}

export interface OracleRow {
  lsn: string
  xid: number
  text: string
}

const rowStart = /^([0-9A-F]+\/[0-9A-F]+)\t(\d+)\t/

/** test_decoding's rendering; a line that does not start a row continues the previous one. */
export function loadTestDecodingOracle(): OracleRow[] {
  const text = readFileSync(join(sharedVectorsDir(), 'pgoutput', 'test_decoding-oracle.tsv'), 'utf8')
  const rows: OracleRow[] = []
  for (const line of text.split('\n')) {
    const match = rowStart.exec(line)
    if (match) rows.push({ lsn: match[1]!, xid: Number(match[2]), text: line.slice(match[0].length) })
    else if (rows.length > 0) rows[rows.length - 1]!.text += `\n${line}`
  }
  const last = rows[rows.length - 1]
  if (last) last.text = last.text.replace(/\n$/, '')
  return rows
}
