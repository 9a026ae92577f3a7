import { execFileSync } from 'node:child_process'
import { createRequire } from 'node:module'
import { basename, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import {
  create,
  createFileRegistry,
  type DescField,
  type DescMessage,
  fromBinary,
  isFieldSet,
  ScalarType,
} from '@bufbuild/protobuf'
import { BinaryReader } from '@bufbuild/protobuf/wire'
import { type FileDescriptorProto, FileDescriptorSetSchema } from '@bufbuild/protobuf/wkt'
import fc from 'fast-check'
import type { FactEnvelope, TraceInfo } from '../fact.js'

// A reference codec for the envelope, made at test time from the .proto the package ships: buf
// compiles the file, @bufbuild/protobuf (which passes the protobuf conformance suite) reads and
// writes messages from the compiled descriptors. Nothing here comes from the hand-written codec.

/** The contract the package ships. */
export const shippedProtoPath = fileURLToPath(new URL('../../fact_envelope.proto', import.meta.url))
/** The contract the shared vectors were made from (beside the repository clone). */
export const vectorsProtoPath = fileURLToPath(
  new URL('../../../../../shared/vectors/fact-envelope/fact_envelope.proto', import.meta.url),
)

const buf = createRequire(import.meta.url).resolve('@bufbuild/buf/bin/buf')

/** Compiles one .proto file with buf; throws with buf's error when the file does not compile. */
export function compileProto(path: string): {
  file: FileDescriptorProto
  message(name: string): DescMessage
} {
  const bytes = execFileSync(process.execPath, [buf, 'build', basename(path), '-o', '-'], {
    cwd: dirname(path),
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const set = fromBinary(FileDescriptorSetSchema, bytes)
  const registry = createFileRegistry(set)
  return {
    file: set.file.find((file) => file.name === basename(path))!,
    message(name) {
      const message = registry.getMessage(name)
      if (!message) throw new Error(`${basename(path)} has no message ${name}`)
      return message
    },
  }
}

/** A message of any schema, as @bufbuild/protobuf represents it without generated code. */
export type Dynamic = Record<string, unknown> & { $typeName: string }

/** The wire-level view of one envelope field, after its message and its tags. */
export interface Tag {
  fieldNumber: number
  wireType: number
}

/** The top-level tags of message bytes, in order, read with the reference runtime's reader. */
export function tagsOf(bytes: Uint8Array): Tag[] {
  const reader = new BinaryReader(bytes)
  const tags: Tag[] = []
  while (reader.pos < reader.len) {
    const [fieldNumber, wireType] = reader.tag()
    tags.push({ fieldNumber, wireType })
    reader.skip(wireType)
  }
  return tags
}

export const OutboxEventName = 'proto.OutboxEvent'
export const TraceInfoName = 'proto.TraceInfo'

/** `TraceInfo.metadata` keys that the TypeScript model lifts into typed fields. */
const PARENT_OP = 'parent_op'
const IS_SAMPLED = 'is_sampled'

/**
 * Converts between reference messages and the TypeScript model. Every field of the .proto maps
 * to the envelope property of its ECMAScript name (`aggregate_type` to `aggregateType`), so a
 * field added to the .proto and not to the codec shows up as a difference. TraceInfo's wire
 * metadata map becomes `parentOp`, `isSampled` ("1" / "0") and the other entries; the lenient
 * readings of `is_sampled` ("true", "False") are left to decode-envelope.test.ts, and messages
 * made here only carry "1", "0" or values that read as neither.
 */
export class EnvelopeModel {
  constructor(
    readonly outboxEvent: DescMessage,
    readonly traceInfo: DescMessage,
  ) {}

  toReference(envelope: FactEnvelope): Dynamic {
    const init: Record<string, unknown> = {}
    for (const field of this.outboxEvent.fields) {
      const value = (envelope as unknown as Record<string, unknown>)[field.localName]
      if (value === undefined) continue
      init[field.localName] = this.isTraceInfo(field) ? this.traceToReference(value as TraceInfo) : value
    }
    return create(this.outboxEvent, init) as unknown as Dynamic
  }

  fromReference(message: Dynamic): FactEnvelope {
    const envelope: Record<string, unknown> = {}
    for (const field of this.outboxEvent.fields) {
      if (this.isTraceInfo(field)) {
        if (isFieldSet(message as never, field))
          envelope[field.localName] = this.traceFromReference(message[field.localName] as Dynamic)
        continue
      }
      envelope[field.localName] = copy(message[field.localName])
    }
    return envelope as unknown as FactEnvelope
  }

  private isTraceInfo(field: DescField): boolean {
    if (field.fieldKind !== 'message') return false
    if (field.message.typeName !== this.traceInfo.typeName)
      throw new Error(`no model for ${field.name} of type ${field.message.typeName}`)
    return true
  }

  private traceToReference(trace: TraceInfo): Dynamic {
    const metadata: Record<string, string> = { ...trace.metadata }
    if (trace.parentOp !== undefined) metadata[PARENT_OP] = trace.parentOp
    if (trace.isSampled !== undefined) metadata[IS_SAMPLED] = trace.isSampled ? '1' : '0'
    const init: Record<string, unknown> = {}
    for (const field of this.traceInfo.fields) {
      init[field.localName] =
        field.localName === 'metadata'
          ? metadata
          : (trace as unknown as Record<string, unknown>)[field.localName]
    }
    return create(this.traceInfo, init) as unknown as Dynamic
  }

  private traceFromReference(message: Dynamic): TraceInfo {
    const trace: Record<string, unknown> = {}
    for (const field of this.traceInfo.fields) {
      if (field.localName !== 'metadata') trace[field.localName] = copy(message[field.localName])
    }
    const metadata: Record<string, string> = {}
    for (const [key, value] of Object.entries(message.metadata as Record<string, string>)) {
      if (key === PARENT_OP) trace.parentOp = value
      else if (key === IS_SAMPLED && (value === '1' || value === '0')) trace.isSampled = value === '1'
      else metadata[key] = value
    }
    if (Object.keys(metadata).length > 0) trace.metadata = metadata
    return trace as unknown as TraceInfo
  }
}

function copy(value: unknown): unknown {
  if (value instanceof Uint8Array) return new Uint8Array(value)
  if (typeof value === 'object' && value !== null) return { ...value }
  return value
}

/**
 * Values worth writing for a field of the .proto: its default first, then values whose encoding
 * differs in length or sign handling. Throws for a kind of field the codec has no support for,
 * so a .proto that grows one fails its tests until the codec does too.
 */
export function samplesOf(field: DescField, traceInfo: DescMessage): unknown[] {
  switch (field.fieldKind) {
    case 'scalar':
      switch (field.scalar) {
        case ScalarType.STRING:
          return ['', 'a', 'ü€😀', 'x'.repeat(200)]
        case ScalarType.BYTES:
          return [new Uint8Array(0), Uint8Array.of(0, 0xff), new Uint8Array(300).fill(0x80)]
        case ScalarType.INT64:
          return [0n, 1n, -1n, 2n ** 63n - 1n, -(2n ** 63n), 1_767_323_045_678_000_000n]
      }
      break
    case 'map':
      if (
        field.mapKey === ScalarType.STRING &&
        field.mapKind === 'scalar' &&
        field.scalar === ScalarType.STRING
      )
        return [{}, { '': '' }, { k: 'v' }, { '😀': '' }, { [PARENT_OP]: 'GET /' }, { [IS_SAMPLED]: '1' }]
      break
    case 'message':
      if (field.message.typeName === traceInfo.typeName)
        return [undefined, create(traceInfo), create(traceInfo, { traceId: 't' })]
      break
  }
  throw new Error(`the codec has no support for ${field.parent.typeName}.${field.name} (${field.fieldKind})`)
}

/** The top-level fields of message bytes, each with its tag, as separate byte ranges. */
export function fieldsOf(bytes: Uint8Array): Uint8Array[] {
  const reader = new BinaryReader(bytes)
  const fields: Uint8Array[] = []
  while (reader.pos < reader.len) {
    const start = reader.pos
    reader.skip(reader.tag()[1])
    fields.push(bytes.subarray(start, reader.pos))
  }
  return fields
}

const text = fc.string({ unit: 'binary', maxLength: 24 })
const dictionary = (key: fc.Arbitrary<string>, options: { minKeys?: number } = {}) =>
  fc.dictionary(key, text, { ...options, maxKeys: 6, noNullPrototype: true })
/**
 * Map keys. Not `__proto__`: the reference codec keeps maps in plain objects, where assigning
 * that key sets the prototype and the entry is lost (ours keeps it, as Go's map would).
 */
const mapKey = text.filter((key) => key !== '__proto__')
/** Map keys other than the two TraceInfo keys with a typed field of their own. */
const plainKey = mapKey.filter((key) => key !== PARENT_OP && key !== IS_SAMPLED)

/** `TraceInfo.metadata` as other clients write it: the well-known keys sometimes, other keys verbatim. */
const traceMetadata = fc
  .tuple(
    dictionary(plainKey),
    fc.option(text, { nil: undefined }),
    fc.option(fc.constantFrom('1', '0', '', 'maybe'), { nil: undefined }),
  )
  .map(([metadata, parentOp, isSampled]) => ({
    ...metadata,
    ...(parentOp === undefined ? {} : { [PARENT_OP]: parentOp }),
    ...(isSampled === undefined ? {} : { [IS_SAMPLED]: isSampled }),
  }))

/** Any message of `message`'s schema, built field by field from the compiled descriptor. */
export function arbitraryMessage(message: DescMessage, traceInfo: DescMessage): fc.Arbitrary<Dynamic> {
  const fields = Object.fromEntries(
    message.fields.map((field) => [field.localName, arbitraryOf(field, traceInfo)] as const),
  )
  return fc.record(fields).map((init) => create(message, init) as unknown as Dynamic)
}

function arbitraryOf(field: DescField, traceInfo: DescMessage): fc.Arbitrary<unknown> {
  // Values of the same kinds as samplesOf, which rejects every other kind of field.
  const [, nonDefault] = samplesOf(field, traceInfo)
  if (typeof nonDefault === 'string') return text
  if (nonDefault instanceof Uint8Array) return fc.uint8Array({ maxLength: 64 })
  if (typeof nonDefault === 'bigint') return fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n })
  if (field.fieldKind === 'map') return field.parent === traceInfo ? traceMetadata : dictionary(mapKey)
  return fc.option(arbitraryMessage(traceInfo, traceInfo), { nil: undefined })
}

/** Any envelope as the TypeScript model holds it, typed trace fields included. */
export const arbitraryEnvelope: fc.Arbitrary<FactEnvelope> = fc
  .record({
    id: text,
    aggregateType: text,
    aggregateId: text,
    eventType: text,
    payload: fc.uint8Array({ maxLength: 64 }),
    createdAt: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
    metadata: dictionary(mapKey),
    traceInfo: fc.option(
      fc.record(
        {
          traceId: text,
          spanId: text,
          parentOp: text,
          isSampled: fc.boolean(),
          metadata: dictionary(plainKey, { minKeys: 1 }),
        },
        { requiredKeys: ['traceId', 'spanId'] },
      ),
      { nil: undefined },
    ),
  })
  .map(({ traceInfo, ...envelope }) => (traceInfo ? { ...envelope, traceInfo } : envelope))
