import type { TraceInfo } from './fact.js'

const TRACE_ID = /^[0-9a-f]{32}$/
const SPAN_ID = /^[0-9a-f]{16}$/
const ALL_ZERO = /^0+$/

/**
 * The W3C Trace Context `traceparent` value for a TraceInfo, or undefined when its ids are not
 * valid W3C ids (32/16 hex digits, not all zero). Hex case is normalised to lowercase.
 */
export function traceparentOf(traceInfo: TraceInfo): string | undefined {
  const traceId = traceInfo.traceId.toLowerCase()
  const spanId = traceInfo.spanId.toLowerCase()
  if (!TRACE_ID.test(traceId) || ALL_ZERO.test(traceId)) return undefined
  if (!SPAN_ID.test(spanId) || ALL_ZERO.test(spanId)) return undefined
  return `00-${traceId}-${spanId}-${traceInfo.isSampled ? '01' : '00'}`
}
