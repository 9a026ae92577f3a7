/**
 * Raised for any malformed pgoutput or replication frame: truncated input, an unknown tag, a length
 * past the end, invalid UTF-8. It is the only error the decoder throws.
 */
export class PgoutputDecodeError extends Error {
  override readonly name = 'PgoutputDecodeError'

  constructor(
    /** The message being decoded, e.g. 'insert', 'relation', 'xlog_data', or 'unknown'. */
    readonly messageType: string,
    /** The protocol field that could not be read, e.g. 'relationId', 'tuple.column[2].length'. */
    readonly field: string,
    /** Byte offset into the decoded buffer where the field starts. */
    readonly offset: number,
    reason: string,
  ) {
    super(`cannot decode pgoutput ${messageType}: field ${field} at offset ${offset}: ${reason}`)
  }
}
