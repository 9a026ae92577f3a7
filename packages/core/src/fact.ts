/**
 * Trace context carried with a fact. On the wire `parentOp` and `isSampled` live in the
 * `TraceInfo.metadata` map under the keys `parent_op` and `is_sampled` ("1"/"0"), the same
 * keys the Go and Python factlib clients use; `metadata` holds every other entry of that map.
 */
export interface TraceInfo {
  traceId: string
  spanId: string
  parentOp?: string
  isSampled?: boolean
  /**
   * The other entries of the wire `TraceInfo.metadata` map, verbatim: keys services add of their
   * own (a tenant, a baggage item), and an `is_sampled` value that is neither "1"/"0" nor
   * "true"/"false". A relay forwards each entry as a Kafka header, as the Go owlpost does.
   */
  metadata?: Record<string, string>
}

/** A fact as a service states it: what happened to which aggregate. */
export interface Fact {
  aggregateType: string
  aggregateId: string
  eventType: string
  payload: Uint8Array
  metadata: Record<string, string>
  traceInfo?: TraceInfo
}

/** An emitted fact: the fact plus its identity and emission time. */
export interface FactEnvelope extends Fact {
  /** UUIDv7, so ids sort by emission time. */
  id: string
  /** Unix epoch nanoseconds (protobuf int64). */
  createdAt: bigint
}

/** What callers hand to `createEnvelope`: a fact whose metadata may be left out. */
export interface FactInput {
  aggregateType: string
  aggregateId: string
  eventType: string
  payload: Uint8Array
  metadata?: Record<string, string>
  traceInfo?: TraceInfo
}
