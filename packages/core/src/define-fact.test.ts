import { Schema } from 'effect'
import { describe, expect, expectTypeOf, it } from 'vitest'
import { createEnvelope } from './create-envelope.js'
import { defineFact } from './define-fact.js'
import { encodeEnvelope } from './encode-envelope.js'
import { EnvelopeDecodeError } from './envelope-decode-error.js'
import { InvalidFactError } from './invalid-fact-error.js'
import { FactPayloadDecodeError, FactTypeMismatchError } from './typed-fact-errors.js'

const UserCreated = defineFact({
  aggregateType: 'user',
  eventType: 'user.created',
  payload: Schema.Struct({
    email: Schema.String.check(Schema.isPattern(/@/)),
    age: Schema.Number.check(Schema.isInt(), Schema.isGreaterThanOrEqualTo(0)),
    joinedAt: Schema.Date,
  }),
})

const joinedAt = new Date('2026-01-02T03:04:05.000Z')

describe('defineFact', () => {
  it('builds a fact whose payload is the JSON of the encoded form', () => {
    const fact = UserCreated.make('42', { email: 'a@b.c', age: 3, joinedAt }, { metadata: { v: '1' } })
    expect(fact).toMatchObject({
      aggregateType: 'user',
      aggregateId: '42',
      eventType: 'user.created',
      metadata: { v: '1' },
    })
    expect(JSON.parse(new TextDecoder().decode(fact.payload))).toEqual({
      email: 'a@b.c',
      age: 3,
      joinedAt: '2026-01-02T03:04:05.000Z',
    })
  })

  it('refuses an invalid payload at build time, naming every bad payload field', () => {
    let error: unknown
    try {
      UserCreated.make('42', { email: 'nope', age: -1, joinedAt })
    } catch (caught) {
      error = caught
    }
    expect(error).toBeInstanceOf(InvalidFactError)
    expect((error as InvalidFactError).issues.map((issue) => issue.path).sort()).toEqual([
      'payload.age',
      'payload.email',
    ])
  })

  it('decodes envelope bytes back to the typed payload', () => {
    const envelope = createEnvelope(UserCreated.make('42', { email: 'a@b.c', age: 3, joinedAt }))
    const decoded = UserCreated.decode(encodeEnvelope(envelope))
    expectTypeOf(decoded.payload).toEqualTypeOf<{
      readonly email: string
      readonly age: number
      readonly joinedAt: Date
    }>()
    expect(decoded.payload).toEqual({ email: 'a@b.c', age: 3, joinedAt })
    expect(decoded.id).toBe(envelope.id)
    expect(decoded.rawPayload).toEqual(envelope.payload)
    expect(UserCreated.is(envelope)).toBe(true)
  })

  it('returns a typed error for another event type', () => {
    const other = createEnvelope({
      aggregateType: 'user',
      aggregateId: '1',
      eventType: 'user.deleted',
      payload: new Uint8Array(),
    })
    const result = UserCreated.safeDecode(other)
    expect(result.success).toBe(false)
    if (!result.success) {
      expect(result.error).toBeInstanceOf(FactTypeMismatchError)
      expect((result.error as FactTypeMismatchError).actual.eventType).toBe('user.deleted')
    }
    expect(UserCreated.is(other)).toBe(false)
  })

  it('returns a typed error for a payload that does not match the schema or is not JSON', () => {
    const base = { aggregateType: 'user', aggregateId: '1', eventType: 'user.created' }
    const wrong = createEnvelope({
      ...base,
      payload: new TextEncoder().encode('{"email":"x@y","age":"old"}'),
    })
    expect(() => UserCreated.decode(wrong)).toThrow(FactPayloadDecodeError)
    const result = UserCreated.safeDecode(wrong)
    expect(
      !result.success && (result.error as FactPayloadDecodeError).issues.map((issue) => issue.path).sort(),
    ).toEqual(['payload.age', 'payload.joinedAt'])
    const binary = createEnvelope({ ...base, payload: Uint8Array.from([0xff]) })
    expect(() => UserCreated.decode(binary)).toThrow(/not UTF-8 JSON/)
  })

  it('returns an undecodable envelope as EnvelopeDecodeError from safeDecode', () => {
    const result = UserCreated.safeDecode(Uint8Array.from([0x0a, 0x05]))
    expect(!result.success && result.error).toBeInstanceOf(EnvelopeDecodeError)
    expect(() => UserCreated.decode(Uint8Array.from([0x0a, 0x05]))).toThrow(EnvelopeDecodeError)
  })

  it('refuses a definition with an empty type', () => {
    expect(() => defineFact({ aggregateType: '', eventType: 'x', payload: Schema.String })).toThrow(
      InvalidFactError,
    )
  })
})
