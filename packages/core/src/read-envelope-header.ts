import { mergeTraceInfo, type WireTraceInfo } from './decode-envelope.js'
import { EnvelopeField } from './envelope-fields.js'
import type { TraceInfo } from './fact.js'
import { ProtobufReader } from './protobuf/protobuf-reader.js'
import { WireType } from './protobuf/wire-type.js'
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
    if (tag.wireType !== WireType.lengthDelimited) {
      reader.skip(tag)
      continue
    }
    switch (tag.fieldNumber) {
      case EnvelopeField.id:
        header.id = reader.string('id')
        break
      case EnvelopeField.aggregateType:
        header.aggregateType = reader.string('aggregate_type')
        break
      case EnvelopeField.aggregateId:
        header.aggregateId = reader.string('aggregate_id')
        break
      case EnvelopeField.eventType:
        header.eventType = reader.string('event_type')
        break
      case EnvelopeField.traceInfo:
        trace ??= { traceId: '', spanId: '', metadata: new Map() }
        mergeTraceInfo(reader.message('trace_info'), trace)
        break
      default:
        reader.skip(tag)
    }
  }
  if (trace) {
    header.trace = trace
    header.traceInfo = traceInfoFromWire(trace.traceId, trace.spanId, trace.metadata)
  }
  return header
}
