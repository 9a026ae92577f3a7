import { formatLsn, parseLsn } from '@factlib/wal'

/** What a dedupe key was made from; `offset` keys cannot recognise a fact relayed twice. */
export type DedupeBasis = 'event-id' | 'lsn' | 'offset'

export interface DedupeKey {
  readonly key: string
  readonly basis: DedupeBasis
}

export interface DedupeInput {
  readonly topic: string
  readonly partition: number
  readonly offset: string
  /** The envelope's id (or the `event_id` header); empty for facts without one. */
  readonly eventId: string | undefined
  /** The envelope's aggregate type, which names the topic after the prefix. */
  readonly aggregateType: string
  /** The `LSN` header. */
  readonly lsn: string | undefined
}

/**
 * The key under which a fact's application is marked, the same for every copy of the fact that
 * owlpost writes, at whatever offset:
 *
 * - `id:<event_id>` when the fact has an id (a UUIDv7, unique on its own);
 * - `lsn:<prefix>:<LSN>` for facts without one (the Python client's). pgoutput gives every
 *   logical message the LSN of its own WAL record, so within one database the LSN alone tells two
 *   facts of a transaction apart; the prefix keeps two databases' prefixes apart. The LSN is
 *   written in its canonical form, so `0/0016B3748` and `0/16b3748` are one fact;
 * - `offset:<topic>:<partition>:<offset>` when neither is known (a record not written by owlpost):
 *   stable for that record only, so a copy of it at another offset would be applied again.
 */
export function dedupeKeyOf(input: DedupeInput): DedupeKey {
  if (input.eventId) return { key: `id:${input.eventId}`, basis: 'event-id' }
  const lsn = canonicalLsn(input.lsn)
  if (lsn !== undefined)
    return { key: `lsn:${prefixOf(input.topic, input.aggregateType)}:${lsn}`, basis: 'lsn' }
  return { key: `offset:${input.topic}:${input.partition}:${input.offset}`, basis: 'offset' }
}

/** The prefix of a topic named `<prefix>.<aggregateType>`; the topic itself when named otherwise. */
export function prefixOf(topic: string, aggregateType: string): string {
  const suffix = `.${aggregateType}`
  return aggregateType !== '' && topic.endsWith(suffix) && topic.length > suffix.length
    ? topic.slice(0, -suffix.length)
    : topic
}

function canonicalLsn(text: string | undefined): string | undefined {
  if (!text) return undefined
  try {
    return formatLsn(parseLsn(text))
  } catch {
    return undefined
  }
}
