import { describe, expect, it } from 'vitest'
import { decodeEnvelope } from './decode-envelope.js'
import { encodeEnvelope } from './encode-envelope.js'
import type { FactEnvelope } from './fact.js'
import { readEnvelopeHeader } from './read-envelope-header.js'

// A TextDecoder strips a leading U+FEFF unless told not to. Every string field must come back
// exactly as written: aggregate_id is the Kafka key, so a stripped mark moves a fact to another
// partition than the Go relay would choose.
const bom = '\uFEFF'

function envelope(): FactEnvelope {
  return {
    id: '0190b5f8-0000-7000-8000-000000000001',
    aggregateType: 'user',
    aggregateId: 'u-1',
    eventType: 'created',
    payload: new Uint8Array([1, 2, 3]),
    createdAt: 1_700_000_000_000_000_000n,
    metadata: { source: 'svc' },
    traceInfo: { traceId: 'trace', spanId: 'span', metadata: { tenant: 't1' } },
  }
}

/** Each string field of the envelope, and how to set it and read it back. */
const stringFields: {
  field: string
  set: (e: FactEnvelope, value: string) => void
  get: (e: FactEnvelope) => unknown
}[] = [
  { field: 'id', set: (e, v) => (e.id = v), get: (e) => e.id },
  { field: 'aggregate_type', set: (e, v) => (e.aggregateType = v), get: (e) => e.aggregateType },
  { field: 'aggregate_id', set: (e, v) => (e.aggregateId = v), get: (e) => e.aggregateId },
  { field: 'event_type', set: (e, v) => (e.eventType = v), get: (e) => e.eventType },
  { field: 'metadata key', set: (e, v) => (e.metadata = { [v]: 'x' }), get: (e) => Object.keys(e.metadata) },
  { field: 'metadata value', set: (e, v) => (e.metadata = { k: v }), get: (e) => e.metadata.k },
  {
    field: 'trace_info.trace_id',
    set: (e, v) => (e.traceInfo!.traceId = v),
    get: (e) => e.traceInfo?.traceId,
  },
  { field: 'trace_info.span_id', set: (e, v) => (e.traceInfo!.spanId = v), get: (e) => e.traceInfo?.spanId },
  {
    field: 'trace_info.metadata key',
    set: (e, v) => (e.traceInfo!.metadata = { [v]: 'x' }),
    get: (e) => Object.keys(e.traceInfo?.metadata ?? {}),
  },
  {
    field: 'trace_info.metadata value',
    set: (e, v) => (e.traceInfo!.metadata = { k: v }),
    get: (e) => e.traceInfo?.metadata?.k,
  },
]

describe('a leading U+FEFF survives every string field', () => {
  for (const { field, set, get } of stringFields) {
    for (const value of [`${bom}x`, bom, `${bom}${bom}`]) {
      it(`${field} = ${JSON.stringify(value)}`, () => {
        const written = envelope()
        set(written, value)
        const bytes = encodeEnvelope(written)
        expect(get(decodeEnvelope(bytes))).toEqual(get(written))
      })
    }
  }

  it('in the routing fields the relay reads without decoding the whole envelope', () => {
    const written = envelope()
    written.aggregateType = `${bom}user`
    written.aggregateId = `${bom}u-1`
    written.eventType = `${bom}created`
    written.id = `${bom}id`
    const header = readEnvelopeHeader(encodeEnvelope(written))
    expect([header.id, header.aggregateType, header.aggregateId, header.eventType]).toEqual([
      `${bom}id`,
      `${bom}user`,
      `${bom}u-1`,
      `${bom}created`,
    ])
  })
})
