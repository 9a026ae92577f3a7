import type { FactEnvelope, TraceInfo } from './fact.js'

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue }

interface FactEnvelopeJsonBase {
  id: string
  aggregateType: string
  aggregateId: string
  eventType: string
  /**
   * The envelope's `created_at` exactly as stored, as a decimal string (JSON numbers cannot hold
   * int64 exactly). Its unit is the producer's: nanoseconds from the Go and TypeScript producers,
   * microseconds from the Python client. Nothing here guesses which.
   */
  createdAt: string
  /** The unit `createdAtIso` assumed: the caller's `createdAtUnit`, nanoseconds by default. */
  createdAtUnit: CreatedAtUnit
  /** `createdAt` read in `createdAtUnit` as an ISO 8601 UTC timestamp (millisecond precision). */
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

/** Units of `created_at` in use: the Go and TypeScript producers write nanoseconds, the Python client microseconds. */
export type CreatedAtUnit = 'nanoseconds' | 'microseconds'

export interface EnvelopeToJsonOptions {
  /** `json` renders a payload that is valid UTF-8 JSON as JSON, falling back to base64. Default `base64`. */
  payload?: 'base64' | 'json'
  /** The unit to read `created_at` in for `createdAtIso`. Default `nanoseconds`. */
  createdAtUnit?: CreatedAtUnit
}

const nanosPerMilli: Record<CreatedAtUnit, bigint> = { nanoseconds: 1_000_000n, microseconds: 1_000n }

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

/** Renders an envelope in the documented JSON shape for logs, debugging and `tail`. */
export function envelopeToJson(
  envelope: FactEnvelope,
  options: EnvelopeToJsonOptions = {},
): FactEnvelopeJson {
  const unit = options.createdAtUnit ?? 'nanoseconds'
  const base: FactEnvelopeJsonBase = {
    id: envelope.id,
    aggregateType: envelope.aggregateType,
    aggregateId: envelope.aggregateId,
    eventType: envelope.eventType,
    createdAt: envelope.createdAt.toString(),
    createdAtUnit: unit,
    createdAtIso: isoOf(envelope.createdAt, nanosPerMilli[unit]),
    metadata: { ...envelope.metadata },
  }
  const trace = envelope.traceInfo
  if (trace) base.traceInfo = trace.metadata ? { ...trace, metadata: { ...trace.metadata } } : { ...trace }
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

function isoOf(createdAt: bigint, perMilli: bigint): string | null {
  const millis = Number(createdAt / perMilli - (createdAt % perMilli < 0n ? 1n : 0n))
  const date = new Date(millis)
  return Number.isNaN(date.getTime()) ? null : date.toISOString()
}
