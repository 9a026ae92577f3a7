import { HeaderName } from './header-name.js'
import type { EnvelopeHeader } from './read-envelope-header.js'
import { traceparentOf } from './traceparent.js'

/**
 * Kafka headers of a fact. `lsn` is the WAL position in text form (`X/Y`). Trace headers appear
 * only for the trace parts that are present; `is_sampled` is "1"/"0" like the Go client;
 * `traceparent` only when the ids are valid W3C ids.
 */
export function factHeaders(header: EnvelopeHeader, lsn: string): Record<string, string> {
  const headers: Record<string, string> = {
    [HeaderName.eventId]: header.id,
    [HeaderName.eventType]: header.eventType,
    [HeaderName.lsn]: lsn,
  }
  const trace = header.traceInfo
  if (!trace) return headers
  if (trace.traceId) headers[HeaderName.traceId] = trace.traceId
  if (trace.spanId) headers[HeaderName.spanId] = trace.spanId
  if (trace.parentOp) headers[HeaderName.parentOp] = trace.parentOp
  if (trace.isSampled !== undefined) headers[HeaderName.isSampled] = trace.isSampled ? '1' : '0'
  const traceparent = traceparentOf(trace)
  if (traceparent) headers[HeaderName.traceparent] = traceparent
  return headers
}
