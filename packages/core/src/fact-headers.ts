import { HeaderName } from './header-name.js'
import type { EnvelopeHeader } from './read-envelope-header.js'
import { traceparentOf } from './traceparent.js'

/**
 * Kafka headers of a fact, as the Go owlpost sets them so that its consumers read ours unchanged:
 * `event_id` (empty when the envelope has no id), `event_type` and `LSN` (the WAL position in text
 * form, `X/Y`) always. When the trace id is non-empty: `trace_id`, `span_id`, then every entry of
 * the trace metadata map with its key and value exactly as stored (an entry may replace one of the
 * headers before it, as in Go). Our one addition is a W3C `traceparent` when the ids are valid
 * W3C ids and the metadata holds no `traceparent` of its own.
 */
export function factHeaders(header: EnvelopeHeader, lsn: string): Record<string, string> {
  const headers: Record<string, string> = {
    [HeaderName.eventId]: header.id,
    [HeaderName.eventType]: header.eventType,
    [HeaderName.lsn]: lsn,
  }
  const trace = header.trace
  if (!trace || trace.traceId === '') return headers
  headers[HeaderName.traceId] = trace.traceId
  headers[HeaderName.spanId] = trace.spanId
  for (const [key, value] of trace.metadata) {
    if (key === '__proto__') {
      Object.defineProperty(headers, key, { value, enumerable: true, writable: true, configurable: true })
    } else {
      headers[key] = value
    }
  }
  if (header.traceInfo && !Object.hasOwn(headers, HeaderName.traceparent)) {
    const traceparent = traceparentOf(header.traceInfo)
    if (traceparent) headers[HeaderName.traceparent] = traceparent
  }
  return headers
}
