import { randomUUID } from 'node:crypto'
import type { Sql } from 'postgres'
import { didCommit } from './in-doubt.js'
import type { Session } from './transaction.js'

const markerPrefix = 'chaos-poison:'

/**
 * Bytes that can never decode as a fact envelope (a protobuf tag with field number 0 first),
 * carrying a marker so each one can be found again in the dead-letter topic.
 */
export function poisonBytes(marker: string): Buffer {
  return Buffer.concat([Buffer.from([0x07]), Buffer.from(`${markerPrefix}${marker}`, 'utf8')])
}

/** The marker of a dead-letter value made by `poisonBytes`, else undefined. */
export function poisonMarkerOf(value: Buffer): string | undefined {
  if (value[0] !== 0x07) return undefined
  const text = value.subarray(1).toString('utf8')
  return text.startsWith(markerPrefix) ? text.slice(markerPrefix.length) : undefined
}

/**
 * Emits one poison message under the prefix in a transaction that also records it in the
 * ledger. Returns whether it committed (asking the ledger when the reply was lost).
 */
export async function injectPoison(session: Session, sql: Sql, prefix: string): Promise<boolean> {
  const marker = randomUUID()
  let sent = false
  try {
    await session.transaction(
      async ({ run }) => {
        await run((tx) => tx`select pg_logical_emit_message(true, ${prefix}, ${poisonBytes(marker)})`)
        await run((tx) => tx`insert into chaos_poison (marker) values (${marker})`)
        return 'commit'
      },
      () => {
        sent = true
      },
    )
    return true
  } catch {
    return sent ? didCommit(sql, 'chaos_poison', 'marker', marker) : false
  }
}
