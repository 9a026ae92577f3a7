/**
 * Kafka record header names shared by every factlib package, the Go owlpost's names. Header
 * names are case-sensitive: the acknowledgement position is `LSN`, upper case, as Go writes it.
 * `parent_op` and `is_sampled` are not set by name: they are trace metadata keys the clients
 * store, forwarded verbatim with the rest of that map.
 */
export const HeaderName = {
  eventId: 'event_id',
  eventType: 'event_type',
  lsn: 'LSN',
  traceId: 'trace_id',
  spanId: 'span_id',
  parentOp: 'parent_op',
  isSampled: 'is_sampled',
  traceparent: 'traceparent',
} as const

export type HeaderName = (typeof HeaderName)[keyof typeof HeaderName]
