import { describe, expect, it } from 'vitest'
import { createEnvelope } from './create-envelope.js'
import type { FactInput } from './fact.js'
import { InvalidFactError } from './invalid-fact-error.js'
import { isUuidV7, uuidV7Millis } from './uuid-v7.js'

const fact: FactInput = {
  aggregateType: 'user',
  aggregateId: '42',
  eventType: 'user.created',
  payload: new Uint8Array([1, 2, 3]),
}

function invalid(input: unknown): InvalidFactError {
  try {
    createEnvelope(input as FactInput)
  } catch (error) {
    if (error instanceof InvalidFactError) return error
    throw error
  }
  throw new Error('expected InvalidFactError')
}

describe('createEnvelope', () => {
  it('assigns a UUIDv7 id, a nanosecond createdAt near now, and defaults metadata', () => {
    const before = BigInt(Date.now()) * 1_000_000n
    const envelope = createEnvelope(fact)
    const after = BigInt(Date.now() + 1) * 1_000_000n
    expect(isUuidV7(envelope.id)).toBe(true)
    expect(envelope.createdAt >= before && envelope.createdAt <= after).toBe(true)
    expect(Math.abs(uuidV7Millis(envelope.id) - Number(envelope.createdAt / 1_000_000n))).toBeLessThan(50)
    expect(envelope).toMatchObject({ ...fact, metadata: {} })
    expect(envelope).not.toHaveProperty('traceInfo')
  })

  it('uses the injected clock', () => {
    expect(createEnvelope(fact, { now: () => 123n }).createdAt).toBe(123n)
  })

  it('rejects a clock outside int64', () => {
    expect(() => createEnvelope(fact, { now: () => 2n ** 63n })).toThrow(InvalidFactError)
  })

  it('does not share the caller metadata object', () => {
    const metadata = { a: '1' }
    const envelope = createEnvelope({ ...fact, metadata })
    metadata.a = '2'
    expect(envelope.metadata).toEqual({ a: '1' })
  })

  it('names every bad field at once', () => {
    const error = invalid({
      aggregateType: '',
      aggregateId: 7,
      eventType: 'x\uD800',
      payload: 'not bytes',
      metadata: { ok: 'yes', bad: 3 },
      traceInfo: { traceId: 'abc', isSampled: 'yes' },
    })
    const paths = error.issues.map((issue) => issue.path).sort()
    expect(paths).toEqual(
      [
        'aggregateType',
        'aggregateId',
        'eventType',
        'payload',
        'metadata.bad',
        'traceInfo.spanId',
        'traceInfo.isSampled',
      ].sort(),
    )
    expect(error.message).toContain('aggregateType')
    expect(error.issues.find((issue) => issue.path === 'aggregateType')?.message).toContain('non-empty')
  })

  it('rejects a missing fact outright', () => {
    expect(invalid(undefined).issues.length).toBeGreaterThan(0)
  })

  it('mints strictly increasing ids within one millisecond burst', () => {
    const ids = Array.from({ length: 5000 }, () => createEnvelope(fact).id)
    const sorted = [...ids].sort()
    expect(sorted).toEqual(ids)
    expect(new Set(ids).size).toBe(ids.length)
  })
})

describe('createEnvelope optional fields', () => {
  it('treats explicitly undefined optional fields as absent', () => {
    const envelope = createEnvelope({
      ...fact,
      metadata: undefined,
      traceInfo: { traceId: 't', spanId: 's', parentOp: undefined, isSampled: undefined },
    } as unknown as FactInput)
    expect(envelope.metadata).toEqual({})
    expect(envelope.traceInfo).toEqual({ traceId: 't', spanId: 's' })
  })
})
