/// <reference types="node" preserve="true" />
/**
 * A Kafka record as the consumer sees it, independent of the client library: headers are read
 * as UTF-8 strings (the first value when a header repeats), as owlpost writes them.
 */
export interface FactRecord {
  readonly topic: string
  readonly partition: number
  /** The record's offset, a decimal string as Kafka clients give it. */
  readonly offset: string
  readonly key: Buffer | null
  readonly value: Buffer | null
  readonly headers: Readonly<Record<string, string>>
}

/** The headers owlpost sets on every fact, read from a record; see @factlib/core's `HeaderName`. */
export interface FactRecordHeaders {
  /** `event_id`: the envelope's id; empty for facts without one (the Python client's). */
  readonly eventId: string | undefined
  readonly eventType: string | undefined
  /** `LSN`: the WAL position of the fact's logical message, `X/Y`. */
  readonly lsn: string | undefined
  /** W3C `traceparent`, when the fact carried a valid trace. */
  readonly traceparent: string | undefined
  /** Every header of the record, as strings. */
  readonly all: Readonly<Record<string, string>>
}
