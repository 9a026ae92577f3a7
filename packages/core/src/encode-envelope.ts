import { EnvelopeField, MapEntryField, TraceInfoField } from './envelope-fields.js'
import type { FactEnvelope, TraceInfo } from './fact.js'
import { ProtobufWriter } from './protobuf/protobuf-writer.js'
import { WireType } from './protobuf/wire-type.js'
import { traceMetadataOf } from './trace-metadata.js'

/**
 * Serialises an envelope as the `OutboxEvent` protobuf message, byte for byte what the official
 * runtime's deterministic serialisation writes: fields in number order, proto3 defaults (empty
 * strings and bytes, zero) left out, map entries sorted by key, `trace_info` written whenever present.
 */
export function encodeEnvelope(envelope: FactEnvelope): Uint8Array {
  const writer = scratchWriter(128 + envelope.payload.length)
  stringField(writer, EnvelopeField.id, envelope.id)
  stringField(writer, EnvelopeField.aggregateType, envelope.aggregateType)
  stringField(writer, EnvelopeField.aggregateId, envelope.aggregateId)
  stringField(writer, EnvelopeField.eventType, envelope.eventType)
  if (envelope.payload.length > 0)
    writer.tag(EnvelopeField.payload, WireType.lengthDelimited).bytes(envelope.payload)
  if (envelope.createdAt !== 0n)
    writer.tag(EnvelopeField.createdAt, WireType.varint).int64(envelope.createdAt)
  mapField(writer, EnvelopeField.metadata, sortedEntries(envelope.metadata))
  if (envelope.traceInfo) {
    writer.tag(EnvelopeField.traceInfo, WireType.lengthDelimited).bytes(encodeTraceInfo(envelope.traceInfo))
  }
  return writer.finish().slice()
}

// Envelopes are built in one reused buffer and copied out once, so an emit allocates the
// result only, not a zero-filled working buffer besides it. A buffer grown for a large payload
// is not kept.
const SCRATCH_BYTES = 16 * 1024
let scratch = new ProtobufWriter(SCRATCH_BYTES)

function scratchWriter(expectedBytes: number): ProtobufWriter {
  if (expectedBytes > SCRATCH_BYTES) return new ProtobufWriter(expectedBytes)
  if (scratch.capacity > SCRATCH_BYTES) scratch = new ProtobufWriter(SCRATCH_BYTES)
  scratch.reset()
  return scratch
}

function encodeTraceInfo(traceInfo: TraceInfo): Uint8Array {
  const writer = new ProtobufWriter(64)
  stringField(writer, TraceInfoField.traceId, traceInfo.traceId)
  stringField(writer, TraceInfoField.spanId, traceInfo.spanId)
  mapField(writer, TraceInfoField.metadata, traceMetadataOf(traceInfo).sort(byKey))
  return writer.finish()
}

function stringField(writer: ProtobufWriter, fieldNumber: number, value: string): void {
  if (value.length > 0) writer.tag(fieldNumber, WireType.lengthDelimited).string(value)
}

function mapField(writer: ProtobufWriter, fieldNumber: number, entries: Array<[string, string]>): void {
  for (const [key, value] of entries) {
    // Map entries always carry both key and value, even empty ones, as the official runtimes do.
    const entry = new ProtobufWriter(key.length * 3 + value.length * 3 + 12)
    entry.tag(MapEntryField.key, WireType.lengthDelimited).string(key)
    entry.tag(MapEntryField.value, WireType.lengthDelimited).string(value)
    writer.tag(fieldNumber, WireType.lengthDelimited).bytes(entry.finish())
  }
}

function sortedEntries(record: Record<string, string>): Array<[string, string]> {
  return Object.entries(record).sort(byKey)
}

function byKey([left]: [string, string], [right]: [string, string]): number {
  return compareCodePoints(left, right)
}

const SURROGATE = /[\uD800-\uDFFF]/

// The official runtimes order map keys by Unicode code point; plain `<` compares UTF-16 code units,
// which differs for characters outside the Basic Multilingual Plane.
function compareCodePoints(left: string, right: string): number {
  if (!SURROGATE.test(left) && !SURROGATE.test(right)) return left < right ? -1 : left > right ? 1 : 0
  const leftPoints = Array.from(left, (char) => char.codePointAt(0)!)
  const rightPoints = Array.from(right, (char) => char.codePointAt(0)!)
  const length = Math.min(leftPoints.length, rightPoints.length)
  for (let index = 0; index < length; index++) {
    const difference = leftPoints[index]! - rightPoints[index]!
    if (difference !== 0) return difference
  }
  return leftPoints.length - rightPoints.length
}
