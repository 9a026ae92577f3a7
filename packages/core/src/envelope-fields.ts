/** Field numbers of `OutboxEvent` in fact_envelope.proto: they are the wire contract. */
export const EnvelopeField = {
  id: 1,
  aggregateType: 2,
  aggregateId: 3,
  eventType: 4,
  payload: 5,
  createdAt: 6,
  metadata: 7,
  traceInfo: 8,
} as const

/** Field numbers of `TraceInfo` in fact_envelope.proto. */
export const TraceInfoField = {
  traceId: 1,
  spanId: 2,
  metadata: 3,
} as const

/** Field numbers of a protobuf map entry. */
export const MapEntryField = {
  key: 1,
  value: 2,
} as const
