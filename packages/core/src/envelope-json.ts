import type { FactEnvelope, TraceInfo } from './fact.js'

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue }

interface FactEnvelopeJsonBase {
  id: string
  aggregateType: string
  aggregateId: string
  eventType: string
  /** Unix epoch nanoseconds as a decimal string (JSON numbers cannot hold int64 exactly). */
  createdAt: string
  /** `createdAt` as an ISO 8601 UTC timestamp (millisecond precision), for people reading logs. */
  createdAtIso: string | null
  metadata: Record<string, string>
  traceInfo?: TraceInfo
}

/**
 * The stable JSON shape of an envelope (version 1). `payloadEncoding` says how to read
 * `payload`: `base64` (standard alphabet, padded) or `json` (the payload's parsed JSON value).
 */
export type FactEnvelopeJson =
  | (FactEnvelopeJsonBase & { payloadEncoding: 'base64'; payload: string })
  | (FactEnvelopeJsonBase & { payloadEncoding: 'json'; payload: JsonValue })

export interface EnvelopeToJsonOptions {
  /** `json` renders a payload that is valid UTF-8 JSON as JSON, falling back to base64. Default `base64`. */
  payload?: 'base64' | 'json'
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true })

/** Renders an envelope in the documented JSON shape for logs, debugging and `tail`. */
export function envelopeToJson(
  envelope: FactEnvelope,
  options: EnvelopeToJsonOptions = {},
): FactEnvelopeJson {
  const base: FactEnvelopeJsonBase = {
    id: envelope.id,
    aggregateType: envelope.aggregateType,
    aggregateId: envelope.aggregateId,
    eventType: envelope.eventType,
    createdAt: envelope.createdAt.toString(),
    createdAtIso: isoOf(envelope.createdAt),
    metadata: { ...envelope.metadata },
  }
  if (envelope.traceInfo) base.traceInfo = { ...envelope.traceInfo }
  if (options.payload === 'json') {
    const parsed = parseJsonPayload(envelope.payload)
    if (parsed.ok) return { ...base, payloadEncoding: 'json', payload: parsed.value }
  }
  return { ...base, payloadEncoding: 'base64', payload: Buffer.from(envelope.payload).toString('base64') }
}

function parseJsonPayload(payload: Uint8Array): { ok: true; value: JsonValue } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(strictUtf8.decode(payload)) as JsonValue }
  } catch {
    return { ok: false }
  }
}

function isoOf(epochNanos: bigint): string | null {
  const millis = Number(epochNanos / 1_000_000n - (epochNanos % 1_000_000n < 0n ? 1n : 0n))
  const date = new Date(millis)
  return Number.isNaN(date.getTime()) ? null : date.toISOString()
}
