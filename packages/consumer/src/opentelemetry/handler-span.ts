import { createRequire } from 'node:module'
import type { FactRecord } from '../fact-record.js'

// The few parts of @opentelemetry/api used here, typed locally: it is an optional peer.
interface SpanLike {
  setStatus(status: { code: number; message?: string }): void
  recordException(exception: Error): void
  end(): void
}
interface TracerLike {
  startActiveSpan<T>(
    name: string,
    options: { kind: number; attributes: Record<string, string | number> },
    context: unknown,
    fn: (span: SpanLike) => T,
  ): T
}
interface OpenTelemetryApi {
  ROOT_CONTEXT: unknown
  context: { active(): unknown }
  trace: {
    getTracer(name: string, version?: string): TracerLike
    setSpanContext(
      context: unknown,
      spanContext: { traceId: string; spanId: string; traceFlags: number; isRemote: boolean },
    ): unknown
  }
  SpanKind: { CONSUMER: number }
  SpanStatusCode: { ERROR: number }
}

// undefined: not looked up yet; null: @opentelemetry/api is not installed.
let api: OpenTelemetryApi | null | undefined

/** Loads the optional peer once; its global registry (`Symbol.for`) is the application's. */
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

const traceparentPattern = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/

/** The remote parent a W3C `traceparent` names, or undefined when it is not a valid one. */
export function parseTraceparent(
  traceparent: string | undefined,
): { traceId: string; spanId: string; traceFlags: number } | undefined {
  const match = traceparentPattern.exec(traceparent?.trim().toLowerCase() ?? '')
  if (!match) return undefined
  const [, traceId, spanId, flags] = match as unknown as [string, string, string, string]
  if (/^0+$/.test(traceId) || /^0+$/.test(spanId)) return undefined
  return { traceId, spanId, traceFlags: Number.parseInt(flags, 16) }
}

/**
 * Runs `work` inside a CONSUMER span `<eventType> process` whose parent is the record's
 * `traceparent` (the producer's span, carried by owlpost), when @opentelemetry/api is installed;
 * else, or with `enabled` false, just runs it. A failure marks the span as an error.
 */
export function withHandlerSpan<T>(
  enabled: boolean,
  record: FactRecord,
  eventType: string,
  traceparent: string | undefined,
  work: () => Promise<T>,
): Promise<T> {
  const otel = enabled ? openTelemetry() : null
  if (!otel) return work()
  const remote = parseTraceparent(traceparent)
  const parent = remote
    ? otel.trace.setSpanContext(otel.ROOT_CONTEXT, { ...remote, isRemote: true })
    : otel.context.active()
  const attributes = {
    'messaging.system': 'kafka',
    'messaging.operation.type': 'process',
    'messaging.destination.name': record.topic,
    'messaging.destination.partition.id': String(record.partition),
    'messaging.kafka.offset': record.offset,
    'factlib.event_type': eventType,
  }
  return otel.trace
    .getTracer('@factlib/consumer')
    .startActiveSpan(
      `${eventType} process`,
      { kind: otel.SpanKind.CONSUMER, attributes },
      parent,
      async (span) => {
        try {
          return await work()
        } catch (error) {
          if (error instanceof Error) span.recordException(error)
          span.setStatus({
            code: otel.SpanStatusCode.ERROR,
            message: String((error as Error)?.message ?? error),
          })
          throw error
        } finally {
          span.end()
        }
      },
    )
}
