export { type CreateEnvelopeOptions, createEnvelope } from './create-envelope.js'
export {
  type DecodedFact,
  type DecodeResult,
  defineFact,
  type FactDefinition,
  type TypedFact,
  type TypedFactOptions,
} from './define-fact.js'
export { FactInputSchema, TraceInfoSchema } from './fact-schema.js'
export { type FactIssue, InvalidFactError } from './invalid-fact-error.js'
export { FactPayloadDecodeError, FactTypeMismatchError } from './typed-fact-errors.js'
export { validateFact } from './validate-fact.js'
export * from './wire.js'
