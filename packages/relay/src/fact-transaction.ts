/** One fact read from the WAL: a logical decoding message under one of the relay's prefixes. */
export interface RelayFact {
  /** The `pg_logical_emit_message` prefix it was emitted with. */
  prefix: string
  /** The message's own LSN. */
  lsn: bigint
  /** The envelope bytes exactly as emitted (a copy, safe to keep). */
  value: Uint8Array
  /**
   * Set when the fact cannot be delivered as it is, and why: today only a message emitted
   * outside a transaction (`pg_logical_emit_message(false, …)`), which escapes rollbacks. A
   * handler dead-letters it (the Kafka sink does) or refuses it; it must not skip it silently.
   */
  deadLetterReason?: string
  /**
   * Set when the message was too large to hold (over the reader's `maxMessageBytes`): `value` is
   * then empty and this says what was left out. Such a fact always carries a `deadLetterReason`.
   */
  omitted?: OmittedValue
}

/** What is known of a message whose body was never held: its size, a digest and its first bytes. */
export interface OmittedValue {
  /** The content's size in bytes, as the message header gave it. */
  byteLength: number
  /** SHA-256 of the whole content, lower-case hex. */
  sha256: string
  /** The content's first bytes (at most 64). */
  head: Uint8Array
}

/**
 * What a handler receives: facts of one committed PostgreSQL transaction, in WAL order.
 *
 * `complete` is true for a whole transaction, or the last part of a large one: `endLsn` is then
 * its commit's end LSN, which becomes the confirmed position once this and everything before it
 * is delivered. A part handed before the commit (a chunk of a large transaction, a fact emitted
 * outside any transaction) has `complete` false and carries the previous transaction's end LSN,
 * so delivering it never moves the position into the transaction it belongs to.
 */
export interface FactTransaction {
  endLsn: bigint
  complete: boolean
  /**
   * The commit LSN of the transaction the facts belong to (pgoutput's Begin `finalLsn`), on every
   * part of it, whole or not; absent for a fact emitted outside any transaction. A checkpointed
   * handler that keeps a checkpoint inside a transaction names the transaction by it.
   */
  commitLsn?: bigint
  /** When the transaction committed, from the Begin message. */
  commitTime?: Date
  facts: RelayFact[]
}
