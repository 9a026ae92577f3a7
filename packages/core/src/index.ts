export { type CreateEnvelopeOptions, createEnvelope } from './create-envelope.js'
export { decodeEnvelope } from './decode-envelope.js'
export {
  type DecodedFact,
  type DecodeResult,
  defineFact,
  type FactDefinition,
  type TypedFact,
  type TypedFactOptions,
} from './define-fact.js'
export { encodeEnvelope } from './encode-envelope.js'
export { EnvelopeDecodeError } from './envelope-decode-error.js'
export {
  type EnvelopeToJsonOptions,
  envelopeToJson,
  type FactEnvelopeJson,
  type JsonValue,
} from './envelope-json.js'
export type { Fact, FactEnvelope, FactInput, TraceInfo } from './fact.js'
export { factHeaders } from './fact-headers.js'
export { FactInputSchema, TraceInfoSchema } from './fact-schema.js'
export { HeaderName } from './header-name.js'
export { type FactIssue, InvalidFactError } from './invalid-fact-error.js'
export { type EnvelopeHeader, readEnvelopeHeader } from './read-envelope-header.js'
export { deadLetterTopicFor, topicFor } from './topic-naming.js'
export { parseSampledFlag, TraceMetadataKey } from './trace-metadata.js'
export { traceparentOf } from './traceparent.js'
export { FactPayloadDecodeError, FactTypeMismatchError } from './typed-fact-errors.js'
export { isUuidV7, uuidV7, uuidV7Millis } from './uuid-v7.js'
export { validateFact } from './validate-fact.js'
