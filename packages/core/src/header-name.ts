/** Kafka record header names shared by every factlib package. */
export const HeaderName = {
  eventId: 'event_id',
  eventType: 'event_type',
  lsn: 'lsn',
  traceId: 'trace_id',
  spanId: 'span_id',
  parentOp: 'parent_op',
  isSampled: 'is_sampled',
  traceparent: 'traceparent',
} as const

export type HeaderName = (typeof HeaderName)[keyof typeof HeaderName]
