// The part of @factlib/core that never validates through Effect Schema: the envelope codecs, the
// routing header reader and the naming of topics and headers. Importing it does not load
// `effect`, which costs a relay about 31 MB of resident memory (effect 4.1) it has no use for.
export { decodeEnvelope } from './decode-envelope.js'
export { encodeEnvelope } from './encode-envelope.js'
export { EnvelopeDecodeError } from './envelope-decode-error.js'
export {
  type CreatedAtUnit,
  type EnvelopeToJsonOptions,
  envelopeToJson,
  type FactEnvelopeJson,
  type JsonValue,
} from './envelope-json.js'
export type { Fact, FactEnvelope, FactInput, TraceInfo } from './fact.js'
export { factHeaders } from './fact-headers.js'
export { HeaderName } from './header-name.js'
export type { WireTraceInfo } from './read-envelope-fields.js'
export { type EnvelopeHeader, readEnvelopeHeader } from './read-envelope-header.js'
export { deadLetterTopicFor, topicFor } from './topic-naming.js'
export { parseSampledFlag, TraceMetadataKey } from './trace-metadata.js'
export { traceparentOf } from './traceparent.js'
export { isUuidV7, uuidV7, uuidV7Millis } from './uuid-v7.js'
