import type { Codec } from 'effect/Schema'
import { decodeEnvelope } from './decode-envelope.js'
import { Result, Schema } from './effect/effect-modules.js'
import { EnvelopeDecodeError } from './envelope-decode-error.js'
import type { FactEnvelope, FactInput, TraceInfo } from './fact.js'
import { InvalidFactError } from './invalid-fact-error.js'
import { schemaIssues } from './schema-issues.js'
import { FactPayloadDecodeError, FactTypeMismatchError } from './typed-fact-errors.js'
import { validateFact } from './validate-fact.js'

export interface FactDefinition<A, I> {
  aggregateType: string
  eventType: string
  /**
   * Effect Schema of the payload, needing no services; what goes on the wire is its canonical JSON
   * form (`Schema.toCodecJson`): a `Schema.Date` as its ISO string, a `Schema.Uint8Array` as base64.
   */
  payload: Codec<A, I, never, never>
}

export interface TypedFactOptions {
  metadata?: Record<string, string>
  traceInfo?: TraceInfo
}

/** An envelope whose payload has been decoded into its schema type. */
export interface DecodedFact<A> extends Omit<FactEnvelope, 'payload'> {
  payload: A
  /** The payload bytes as received. */
  rawPayload: Uint8Array
}

export type DecodeResult<A> =
  | { success: true; fact: DecodedFact<A> }
  | { success: false; error: FactTypeMismatchError | FactPayloadDecodeError | EnvelopeDecodeError }

export interface TypedFact<A, I> {
  readonly aggregateType: string
  readonly eventType: string
  readonly schema: Codec<A, I, never, never>
  /** Builds a fact for `emit`; the payload is checked against the schema now (throws `InvalidFactError`). */
  make(aggregateId: string, payload: A, options?: TypedFactOptions): FactInput
  /** True when the envelope (or header) is of this fact's aggregate and event type. */
  is(envelope: { aggregateType: string; eventType: string }): boolean
  /** Decodes envelope bytes or an envelope into the typed payload; throws the typed errors. */
  decode(envelope: FactEnvelope | Uint8Array): DecodedFact<A>
  /** Like `decode`, but returns the typed error instead of throwing it. */
  safeDecode(envelope: FactEnvelope | Uint8Array): DecodeResult<A>
}

const utf8Encoder = new TextEncoder()
const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

/**
 * Declares a typed fact: one Effect Schema checks the payload when it is emitted and again when
 * it is received. Payloads travel as the UTF-8 JSON of the schema's canonical JSON form.
 */
export function defineFact<A, I>(definition: FactDefinition<A, I>): TypedFact<A, I> {
  const { aggregateType, eventType, payload: schema } = definition
  validateFact({ aggregateType, eventType, aggregateId: 'definition', payload: new Uint8Array(0) })
  const json = Schema.toCodecJson(schema)
  const encodePayload = Schema.encodeResult(json, { errors: 'all' })
  const decodePayload = Schema.decodeUnknownResult(json, { errors: 'all' })

  const safeDecode = (input: FactEnvelope | Uint8Array): DecodeResult<A> => {
    let envelope: FactEnvelope
    try {
      envelope = input instanceof Uint8Array ? decodeEnvelope(input) : input
    } catch (error) {
      if (error instanceof EnvelopeDecodeError) return { success: false, error }
      throw error
    }
    if (envelope.aggregateType !== aggregateType || envelope.eventType !== eventType) {
      const error = new FactTypeMismatchError(
        { aggregateType, eventType },
        { aggregateType: envelope.aggregateType, eventType: envelope.eventType },
        envelope.id,
      )
      return { success: false, error }
    }
    const fail = (issues: FactPayloadDecodeError['issues']): DecodeResult<A> => ({
      success: false,
      error: new FactPayloadDecodeError(aggregateType, eventType, envelope.id, issues),
    })
    let json: unknown
    try {
      json = JSON.parse(utf8Decoder.decode(envelope.payload))
    } catch (cause) {
      return fail([{ path: 'payload', message: `not UTF-8 JSON: ${(cause as Error).message}` }])
    }
    const decoded = decodePayload(json)
    if (Result.isFailure(decoded)) return fail(schemaIssues(decoded.failure, 'payload'))
    const { payload: rawPayload, ...rest } = envelope
    return { success: true, fact: { ...rest, payload: decoded.success, rawPayload } }
  }

  return {
    aggregateType,
    eventType,
    schema,
    make(aggregateId, payload, options = {}) {
      const encoded = encodePayload(payload)
      if (Result.isFailure(encoded)) throw new InvalidFactError(schemaIssues(encoded.failure, 'payload'))
      const fact: FactInput = {
        aggregateType,
        aggregateId,
        eventType,
        payload: utf8Encoder.encode(JSON.stringify(encoded.success)),
        metadata: options.metadata ?? {},
      }
      if (options.traceInfo) fact.traceInfo = options.traceInfo
      return fact
    },
    is(envelope) {
      return envelope.aggregateType === aggregateType && envelope.eventType === eventType
    },
    decode(envelope) {
      const result = safeDecode(envelope)
      if (!result.success) throw result.error
      return result.fact
    },
    safeDecode,
  }
}
