import { EnvelopeField } from './envelope-fields.js'
import type { TraceInfo } from './fact.js'
import { ProtobufReader } from './protobuf/protobuf-reader.js'
import { WireType } from './protobuf/wire-type.js'
import { readRoutingField, readTraceInfo, type WireTraceInfo } from './read-envelope-fields.js'
import { traceInfoFromWire } from './trace-metadata.js'

/** The routing part of an envelope: enough to pick a topic and set Kafka headers. */
export interface EnvelopeHeader {
  id: string
  aggregateType: string
  aggregateId: string
  eventType: string
  /** The trace info, read as a TraceInfo. */
  traceInfo?: TraceInfo
  /**
   * The same trace info exactly as on the wire: the metadata map in wire order with every value
   * verbatim (`is_sampled` may read "True"), for a relay that forwards it as headers untouched.
   */
  trace?: WireTraceInfo
}

/**
 * Reads only the routing fields of envelope bytes. The payload, created_at and metadata are
 * stepped over without being copied or decoded, so a relay can route and forward the original
 * bytes untouched. Same protobuf rules as `decodeEnvelope`; throws `EnvelopeDecodeError`.
 */
export function readEnvelopeHeader(bytes: Uint8Array): EnvelopeHeader {
  const reader = new ProtobufReader(bytes)
  const header: EnvelopeHeader = { id: '', aggregateType: '', aggregateId: '', eventType: '' }
  let trace: WireTraceInfo | undefined
  while (!reader.done) {
    const tag = reader.tag()
    if (tag.wireType === WireType.lengthDelimited) {
      if (readRoutingField(reader, tag.fieldNumber, header)) continue
      if (tag.fieldNumber === EnvelopeField.traceInfo) {
        trace = readTraceInfo(reader, trace)
        continue
      }
    }
    reader.skip(tag)
  }
  if (trace) {
    header.trace = trace
    header.traceInfo = traceInfoFromWire(trace.traceId, trace.spanId, trace.metadata)
  }
  return header
}
