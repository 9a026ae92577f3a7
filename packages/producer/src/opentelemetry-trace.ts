import { createRequire } from 'node:module'
import type { TraceInfo } from '@factlib/core'

interface SpanContextLike {
  traceId: string
  spanId: string
  traceFlags: number
}

interface SpanLike {
  spanContext(): SpanContextLike
  /** Present on SDK spans (ReadableSpan), absent on the API's non-recording spans. */
  name?: string
}

interface OpenTelemetryApi {
  trace: { getActiveSpan(): SpanLike | undefined }
  isSpanContextValid(context: SpanContextLike): boolean
}

const TRACE_FLAG_SAMPLED = 0x01

// undefined: not looked up yet; null: @opentelemetry/api is not installed.
let api: OpenTelemetryApi | null | undefined

/**
 * Loads the optional peer `@opentelemetry/api` once, synchronously. Its global registry is keyed
 * by `Symbol.for`, so this copy sees the context manager and tracer the application registered.
 */
function openTelemetry(): OpenTelemetryApi | null {
  if (api === undefined) {
    try {
      api = createRequire(import.meta.url)('@opentelemetry/api') as OpenTelemetryApi
    } catch {
      api = null
    }
  }
  return api
}

/** TraceInfo of the active OpenTelemetry span, or undefined when there is none (or no OpenTelemetry). */
export function activeOpenTelemetryTrace(): TraceInfo | undefined {
  const otel = openTelemetry()
  const span = otel?.trace.getActiveSpan()
  if (!otel || !span) return undefined
  const context = span.spanContext()
  if (!otel.isSpanContextValid(context)) return undefined
  const traceInfo: TraceInfo = {
    traceId: context.traceId,
    spanId: context.spanId,
    isSampled: (context.traceFlags & TRACE_FLAG_SAMPLED) === TRACE_FLAG_SAMPLED,
  }
  if (typeof span.name === 'string' && span.name.length > 0) traceInfo.parentOp = span.name
  return traceInfo
}
