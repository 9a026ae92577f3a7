import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { FactEnvelope, TraceInfo } from '../fact.js'

// The shared vectors sit beside the repository clone: <repo root>/../shared.
const vectorsPath = fileURLToPath(
  new URL('../../../../../shared/vectors/fact-envelope/vectors.json', import.meta.url),
)

export interface VectorCase {
  name: string
  hasMap: boolean
  envelope: FactEnvelope
  bytes: Uint8Array
}

interface RawFields {
  id?: string
  aggregate_type?: string
  aggregate_id?: string
  event_type?: string
  payload?: string
  created_at?: bigint
  metadata?: Record<string, string>
  trace_info?: { trace_id?: string; span_id?: string; metadata?: Record<string, string> }
}

/** Loads vectors.json keeping int64 values exact (they exceed 2^53). */
export function loadFactEnvelopeVectors(): VectorCase[] {
  const text = readFileSync(vectorsPath, 'utf8')
  const reviver = (key: string, value: unknown, context?: { source?: string }) =>
    key === 'created_at' && context?.source !== undefined ? BigInt(context.source) : value
  const parsed = JSON.parse(text, reviver as (key: string, value: unknown) => unknown) as {
    cases: Array<{ name: string; fields: RawFields; hex: string }>
  }
  return parsed.cases.map(({ name, fields, hex }) => ({
    name,
    hasMap: fields.metadata !== undefined || fields.trace_info?.metadata !== undefined,
    envelope: envelopeOf(fields),
    bytes: Uint8Array.from(Buffer.from(hex, 'hex')),
  }))
}

function envelopeOf(fields: RawFields): FactEnvelope {
  const envelope: FactEnvelope = {
    id: fields.id ?? '',
    aggregateType: fields.aggregate_type ?? '',
    aggregateId: fields.aggregate_id ?? '',
    eventType: fields.event_type ?? '',
    payload: Uint8Array.from(Buffer.from(fields.payload ?? '', 'base64')),
    createdAt: fields.created_at ?? 0n,
    metadata: fields.metadata ?? {},
  }
  if (fields.trace_info) {
    const trace: TraceInfo = {
      traceId: fields.trace_info.trace_id ?? '',
      spanId: fields.trace_info.span_id ?? '',
    }
    const metadata = fields.trace_info.metadata ?? {}
    if (metadata.parent_op !== undefined) trace.parentOp = metadata.parent_op
    if (metadata.is_sampled !== undefined) trace.isSampled = metadata.is_sampled === '1'
    envelope.traceInfo = trace
  }
  return envelope
}
