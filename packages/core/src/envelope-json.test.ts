import { describe, expect, it } from 'vitest'
import { envelopeToJson } from './envelope-json.js'
import type { FactEnvelope } from './fact.js'

const envelope: FactEnvelope = {
  id: '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c',
  aggregateType: 'user',
  aggregateId: '42',
  eventType: 'user.created',
  payload: new TextEncoder().encode('{"name":"alice"}'),
  createdAt: 1767323045678000001n,
  metadata: { source: 'svc' },
  traceInfo: { traceId: 't', spanId: 's', isSampled: false },
}

describe('envelopeToJson', () => {
  it('renders the documented shape with a base64 payload by default', () => {
    const json = envelopeToJson(envelope)
    expect(json).toEqual({
      id: envelope.id,
      aggregateType: 'user',
      aggregateId: '42',
      eventType: 'user.created',
      createdAt: '1767323045678000001',
      createdAtUnit: 'nanoseconds',
      createdAtIso: '2026-01-02T03:04:05.678Z',
      metadata: { source: 'svc' },
      traceInfo: { traceId: 't', spanId: 's', isSampled: false },
      payloadEncoding: 'base64',
      payload: 'eyJuYW1lIjoiYWxpY2UifQ==',
    })
    expect(JSON.parse(JSON.stringify(json))).toEqual(json)
  })

  it('renders a JSON payload as JSON when asked', () => {
    expect(envelopeToJson(envelope, { payload: 'json' })).toMatchObject({
      payloadEncoding: 'json',
      payload: { name: 'alice' },
    })
  })

  it('falls back to base64 when the payload is not JSON', () => {
    const binary = { ...envelope, payload: Uint8Array.from([0xff, 0x00]) }
    expect(envelopeToJson(binary, { payload: 'json' })).toMatchObject({
      payloadEncoding: 'base64',
      payload: '/wA=',
    })
  })

  it('keeps created_at raw and says which unit the ISO form assumed', () => {
    // The Python client writes microseconds; read as nanoseconds it would be January 1970.
    const fromPython = { ...envelope, createdAt: 1767323045678123n }
    expect(envelopeToJson(fromPython)).toMatchObject({
      createdAt: '1767323045678123',
      createdAtUnit: 'nanoseconds',
      createdAtIso: '1970-01-21T10:55:23.045Z',
    })
    expect(envelopeToJson(fromPython, { createdAtUnit: 'microseconds' })).toMatchObject({
      createdAt: '1767323045678123',
      createdAtUnit: 'microseconds',
      createdAtIso: '2026-01-02T03:04:05.678Z',
    })
  })

  it('renders extra trace metadata as its own copy', () => {
    const traced = { ...envelope, traceInfo: { traceId: 't', spanId: 's', metadata: { tenant: 'acme' } } }
    const json = envelopeToJson(traced)
    expect(json.traceInfo).toEqual({ traceId: 't', spanId: 's', metadata: { tenant: 'acme' } })
    expect(json.traceInfo?.metadata).not.toBe(traced.traceInfo.metadata)
  })

  it('renders negative timestamps before the epoch', () => {
    expect(envelopeToJson({ ...envelope, createdAt: -5n }).createdAtIso).toBe('1969-12-31T23:59:59.999Z')
  })
})
