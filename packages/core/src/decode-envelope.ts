import { EnvelopeField, MapEntryField, TraceInfoField } from './envelope-fields.js'
import type { FactEnvelope } from './fact.js'
import { type FieldTag, ProtobufReader } from './protobuf/protobuf-reader.js'
import { WireType } from './protobuf/wire-type.js'
import { traceInfoFromWire } from './trace-metadata.js'

/**
 * Parses `OutboxEvent` bytes following protobuf rules: fields in any order, unknown fields
 * skipped, the last value of a repeated scalar wins, repeated `trace_info` messages merge, map
 * entries without key or value mean the empty string. Throws `EnvelopeDecodeError`.
 */
export function decodeEnvelope(bytes: Uint8Array): FactEnvelope {
  const reader = new ProtobufReader(bytes)
  const envelope: FactEnvelope = {
    id: '',
    aggregateType: '',
    aggregateId: '',
    eventType: '',
    payload: new Uint8Array(0),
    metadata: {},
    createdAt: 0n,
  }
  let trace: WireTraceInfo | undefined
  while (!reader.done) {
    const tag = reader.tag()
    if (!readEnvelopeField(reader, tag, envelope)) {
      if (tag.fieldNumber === EnvelopeField.traceInfo && tag.wireType === WireType.lengthDelimited) {
        trace ??= { traceId: '', spanId: '', metadata: new Map() }
        mergeTraceInfo(reader.message('trace_info'), trace)
      } else {
        reader.skip(tag)
      }
    }
  }
  if (trace) envelope.traceInfo = traceInfoFromWire(trace.traceId, trace.spanId, trace.metadata)
  return envelope
}

/** Reads one known top-level field (except trace_info) into `envelope`; false when not one. */
function readEnvelopeField(reader: ProtobufReader, tag: FieldTag, envelope: FactEnvelope): boolean {
  if (tag.wireType === WireType.lengthDelimited) {
    switch (tag.fieldNumber) {
      case EnvelopeField.id:
        envelope.id = reader.string('id')
        return true
      case EnvelopeField.aggregateType:
        envelope.aggregateType = reader.string('aggregate_type')
        return true
      case EnvelopeField.aggregateId:
        envelope.aggregateId = reader.string('aggregate_id')
        return true
      case EnvelopeField.eventType:
        envelope.eventType = reader.string('event_type')
        return true
      case EnvelopeField.payload:
        envelope.payload = reader.bytesField('payload')
        return true
      case EnvelopeField.metadata: {
        const [key, value] = readMapEntry(reader.message('metadata'))
        // defineProperty so a `__proto__` key is kept as data instead of touching the prototype.
        Object.defineProperty(envelope.metadata, key, {
          value,
          enumerable: true,
          writable: true,
          configurable: true,
        })
        return true
      }
    }
  } else if (tag.wireType === WireType.varint && tag.fieldNumber === EnvelopeField.createdAt) {
    envelope.createdAt = reader.int64('created_at')
    return true
  }
  return false
}

/** A `TraceInfo` message as the wire has it: metadata entries in wire order, the last of a key winning. */
export interface WireTraceInfo {
  traceId: string
  spanId: string
  metadata: Map<string, string>
}

/** Merges one `TraceInfo` message into `trace` (protobuf merges repeated embedded messages). */
export function mergeTraceInfo(reader: ProtobufReader, trace: WireTraceInfo): void {
  while (!reader.done) {
    const tag = reader.tag()
    if (tag.wireType !== WireType.lengthDelimited) {
      reader.skip(tag)
      continue
    }
    switch (tag.fieldNumber) {
      case TraceInfoField.traceId:
        trace.traceId = reader.string('trace_id')
        break
      case TraceInfoField.spanId:
        trace.spanId = reader.string('span_id')
        break
      case TraceInfoField.metadata: {
        const [key, value] = readMapEntry(reader.message('metadata'))
        trace.metadata.set(key, value)
        break
      }
      default:
        reader.skip(tag)
    }
  }
}

/** A map<string, string> entry; a missing key or value is the empty string. */
function readMapEntry(reader: ProtobufReader): [string, string] {
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
