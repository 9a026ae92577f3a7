import { EnvelopeField, MapEntryField, TraceInfoField } from './envelope-fields.js'
import type { ProtobufReader } from './protobuf/protobuf-reader.js'
import { WireType } from './protobuf/wire-type.js'

// The field reading that decodeEnvelope and readEnvelopeHeader have in common. Each keeps its own
// loop over the tags (the header reader steps over what the decoder reads) and calls these for
// the fields both read.

/** The routing fields of an envelope, which both the decoder and the header reader fill. */
export interface RoutingFields {
  id: string
  aggregateType: string
  aggregateId: string
  eventType: string
}

/**
 * Reads the length-delimited field `fieldNumber` into `target` if it is a routing field (id,
 * aggregate_type, aggregate_id, event_type); false, having read nothing, when it is another.
 */
export function readRoutingField(
  reader: ProtobufReader,
  fieldNumber: number,
  target: RoutingFields,
): boolean {
  switch (fieldNumber) {
    case EnvelopeField.id:
      target.id = reader.string('id')
      return true
    case EnvelopeField.aggregateType:
      target.aggregateType = reader.string('aggregate_type')
      return true
    case EnvelopeField.aggregateId:
      target.aggregateId = reader.string('aggregate_id')
      return true
    case EnvelopeField.eventType:
      target.eventType = reader.string('event_type')
      return true
    default:
      return false
  }
}

/** A `TraceInfo` message as the wire has it: metadata entries in wire order, the last of a key winning. */
export interface WireTraceInfo {
  traceId: string
  spanId: string
  metadata: Map<string, string>
}

/**
 * Reads a trace_info field and merges it into `trace` (protobuf merges repeated embedded
 * messages); returns the merged trace, a new one when `trace` is undefined.
 */
export function readTraceInfo(reader: ProtobufReader, trace: WireTraceInfo | undefined): WireTraceInfo {
  const merged = trace ?? { traceId: '', spanId: '', metadata: new Map<string, string>() }
  const message = reader.message('trace_info')
  while (!message.done) {
    const tag = message.tag()
    if (tag.wireType !== WireType.lengthDelimited) {
      message.skip(tag)
      continue
    }
    switch (tag.fieldNumber) {
      case TraceInfoField.traceId:
        merged.traceId = message.string('trace_id')
        break
      case TraceInfoField.spanId:
        merged.spanId = message.string('span_id')
        break
      case TraceInfoField.metadata: {
        const [key, value] = readMapEntry(message.message('metadata'))
        merged.metadata.set(key, value)
        break
      }
      default:
        message.skip(tag)
    }
  }
  return merged
}

/** A map<string, string> entry; a missing key or value is the empty string. */
export function readMapEntry(reader: ProtobufReader): [string, string] {
  let key = ''
  let value = ''
  while (!reader.done) {
    const tag = reader.tag()
    if (tag.wireType === WireType.lengthDelimited && tag.fieldNumber === MapEntryField.key) {
      key = reader.string('key')
    } else if (tag.wireType === WireType.lengthDelimited && tag.fieldNumber === MapEntryField.value) {
      value = reader.string('value')
    } else {
      reader.skip(tag)
    }
  }
  return [key, value]
}
