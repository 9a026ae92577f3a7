import { EnvelopeField } from './envelope-fields.js'
import type { FactEnvelope } from './fact.js'
import { ProtobufReader } from './protobuf/protobuf-reader.js'
import { WireType } from './protobuf/wire-type.js'
import { readMapEntry, readRoutingField, readTraceInfo, type WireTraceInfo } from './read-envelope-fields.js'
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
    if (tag.wireType === WireType.lengthDelimited) {
      if (readRoutingField(reader, tag.fieldNumber, envelope)) continue
      switch (tag.fieldNumber) {
        case EnvelopeField.payload:
          envelope.payload = reader.bytesField('payload')
          continue
        case EnvelopeField.metadata: {
          const [key, value] = readMapEntry(reader.message('metadata'))
          // defineProperty so a `__proto__` key is kept as data instead of touching the prototype.
          Object.defineProperty(envelope.metadata, key, {
            value,
            enumerable: true,
            writable: true,
            configurable: true,
          })
          continue
        }
        case EnvelopeField.traceInfo:
          trace = readTraceInfo(reader, trace)
          continue
      }
    } else if (tag.wireType === WireType.varint && tag.fieldNumber === EnvelopeField.createdAt) {
      envelope.createdAt = reader.int64('created_at')
      continue
    }
    reader.skip(tag)
  }
  if (trace) envelope.traceInfo = traceInfoFromWire(trace.traceId, trace.spanId, trace.metadata)
  return envelope
}
