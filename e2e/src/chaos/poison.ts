import { randomUUID } from 'node:crypto'
import { createEnvelope, encodeEnvelope } from '@factlib/core'
import type { Sql } from 'postgres'
import { didCommit } from './in-doubt.js'
import type { Session } from './transaction.js'

const markerPrefix = 'chaos-poison:'
/** A marker is a UUID: 36 characters after the prefix. */
const markerLength = 36

/**
 * What a poison message is. `junk` is never an envelope (a protobuf tag with field number 0
 * first); the `--poison` mix adds the bad input of issue #30: a truncated envelope, one whose
 * aggregate_id is not UTF-8, and once per run a message over owlpost's MAX_MESSAGE_BYTES.
 * Each carries a marker so its dead letter can be found again: in the value, or for the
 * oversized one (whose dead letter has no value) in the `original_head` header.
 */
export type PoisonKind = 'junk' | 'truncated' | 'invalid-utf8' | 'oversized'

/** The oversized poison's size: well over owlpost's default 8 MiB cap. */
export const oversizedPoisonBytes = 32 * 1024 * 1024

const utf8 = (text: string) => Buffer.from(text, 'utf8')

export function poisonBytes(marker: string): Buffer {
  return Buffer.concat([Buffer.from([0x07]), utf8(`${markerPrefix}${marker}`)])
}

function truncatedEnvelope(marker: string): Buffer {
  const whole = encodeEnvelope(
    createEnvelope({
      aggregateType: 'chaos-poison',
      aggregateId: `${markerPrefix}${marker}`,
      eventType: 'poison',
      payload: utf8('{}'),
    }),
  )
  // The last field is created_at, a varint: cut inside it.
  return Buffer.from(whole.subarray(0, whole.length - 3))
}

function invalidUtf8Envelope(marker: string): Buffer {
  const field = (number: number, bytes: Buffer) =>
    Buffer.concat([Buffer.from([(number << 3) | 2, bytes.length]), bytes])
  return Buffer.concat([
    field(1, utf8(randomUUID())),
    field(2, utf8('chaos-poison')),
    field(3, Buffer.from([0xff, 0xfe])),
    field(4, utf8(`${markerPrefix}${marker}`)),
  ])
}

/** The marker a dead-letter record carries, in its value or its original_head header. */
export function poisonMarkerOf(value: Buffer, headers: Record<string, string> = {}): string | undefined {
  const search = (bytes: Buffer) => {
    const at = bytes.indexOf(markerPrefix, 0, 'latin1')
    if (at < 0) return undefined
    const start = at + markerPrefix.length
    return start + markerLength <= bytes.length
      ? bytes.toString('utf8', start, start + markerLength)
      : undefined
  }
  const head = headers.original_head
  return search(value) ?? (head ? search(Buffer.from(head, 'hex')) : undefined)
}

function emitPoison(tx: Sql, prefix: string, kind: PoisonKind, marker: string) {
  switch (kind) {
    case 'junk':
      return tx`select pg_logical_emit_message(true, ${prefix}, ${poisonBytes(marker)})`
    case 'truncated':
      return tx`select pg_logical_emit_message(true, ${prefix}, ${truncatedEnvelope(marker)})`
    case 'invalid-utf8':
      return tx`select pg_logical_emit_message(true, ${prefix}, ${invalidUtf8Envelope(marker)})`
    case 'oversized':
      // Built inside PostgreSQL: the marker first, then junk.
      return tx`select pg_logical_emit_message(true, ${prefix},
        ${poisonBytes(marker)}::bytea || convert_to(repeat('x', ${oversizedPoisonBytes}), 'UTF8'))`
  }
}

/**
 * Emits one poison message under the prefix in a transaction that also records it in the
 * ledger. Returns whether it committed (asking the ledger when the reply was lost).
 */
export async function injectPoison(
  session: Session,
  sql: Sql,
  prefix: string,
  kind: PoisonKind = 'junk',
): Promise<boolean> {
  const marker = randomUUID()
  let sent = false
  try {
    await session.transaction(
      async ({ run }) => {
        await run((tx) => emitPoison(tx, prefix, kind, marker))
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

/** The kinds the `--poison` mix injects in turn: the oversized one first, once per run. */
export class PoisonMix {
  #next = 0
  #oversizedSent = false
  constructor(private readonly mixed: boolean) {}

  next(): PoisonKind {
    if (!this.mixed) return 'junk'
    if (!this.#oversizedSent) {
      this.#oversizedSent = true
      return 'oversized'
    }
    const kinds = ['junk', 'truncated', 'invalid-utf8'] as const
    return kinds[this.#next++ % kinds.length]!
  }
}
