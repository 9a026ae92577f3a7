import {
  create,
  type DescField,
  type DescMessage,
  equals,
  fromBinary,
  toBinary,
  toJson,
} from '@bufbuild/protobuf'
import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire'
import {
  FeatureSet_FieldPresence,
  type FileDescriptorProto,
  FileDescriptorProtoSchema,
} from '@bufbuild/protobuf/wkt'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { decodeEnvelope } from './decode-envelope.js'
import { encodeEnvelope } from './encode-envelope.js'
import { EnvelopeField, MapEntryField, TraceInfoField } from './envelope-fields.js'
import { readEnvelopeHeader } from './read-envelope-header.js'
import {
  arbitraryEnvelope,
  arbitraryMessage,
  compileProto,
  type Dynamic,
  EnvelopeModel,
  fieldsOf,
  OutboxEventName,
  samplesOf,
  shippedProtoPath,
  TraceInfoName,
  tagsOf,
  vectorsProtoPath,
} from './test-support/reference-envelope.js'

// The hand-written codec against fact_envelope.proto as the package ships it: a reference codec
// is made from that file at test time, so a change to the file that the codec does not follow
// (a number, a type, a field more, presence) fails here.

const proto = compileProto(shippedProtoPath)
const outboxEvent = proto.message(OutboxEventName)
const traceInfo = proto.message(TraceInfoName)
const model = new EnvelopeModel(outboxEvent, traceInfo)
const traceInfoField = outboxEvent.fields.find((field) => field.fieldKind === 'message')!

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex')
const reference = (message: Dynamic) => toBinary(outboxEvent, message as never)
const referenceDecode = (bytes: Uint8Array) => fromBinary(outboxEvent, bytes) as unknown as Dynamic

/** What the header reader must return for bytes the reference decodes to `message`. */
function expectedHeader(message: Dynamic) {
  const { id, aggregateType, aggregateId, eventType, traceInfo } = model.fromReference(message)
  return { id, aggregateType, aggregateId, eventType, ...(traceInfo ? { traceInfo } : {}) }
}

/** Our decoder and header reader read `bytes` as the reference runtime does. */
function expectSameReading(bytes: Uint8Array): void {
  const message = referenceDecode(bytes)
  expect(decodeEnvelope(bytes)).toEqual(model.fromReference(message))
  const { trace, ...header } = readEnvelopeHeader(bytes)
  expect(header).toEqual(expectedHeader(message))
  const wireTrace = message.traceInfo as Dynamic | undefined
  if (wireTrace === undefined) {
    expect(trace).toBeUndefined()
  } else {
    // The map exactly as on the wire: every entry and value verbatim.
    expect(trace?.traceId).toBe(wireTrace.traceId)
    expect(trace?.spanId).toBe(wireTrace.spanId)
    expect(Object.fromEntries(trace?.metadata ?? [])).toEqual(wireTrace.metadata)
  }
}

/** Each field of `message`, with envelopes that set only that field, to each of its samples. */
function singleFieldCases(message: DescMessage) {
  return message.fields.map((field) => {
    const samples = samplesOf(field, traceInfo).map((value) =>
      message === outboxEvent
        ? withOnly(outboxEvent, field, value)
        : withOnly(outboxEvent, traceInfoField, withOnly(traceInfo, field, value)),
    )
    return [`${message.name}.${field.name} = ${field.number}`, samples] as const
  })
}

function withOnly(message: DescMessage, field: DescField, value: unknown): Dynamic {
  return create(message, { [field.localName]: value }) as unknown as Dynamic
}

describe('fact_envelope.proto', () => {
  it('is the contract the shared vectors were made from, comments aside', () => {
    const strip = (file: FileDescriptorProto) => {
      const {
        name: _name,
        sourceCodeInfo: _comments,
        ...contract
      } = toJson(FileDescriptorProtoSchema, file) as {
        name?: string
        sourceCodeInfo?: unknown
      }
      return contract
    }
    expect(strip(proto.file)).toEqual(strip(compileProto(vectorsProtoPath).file))
  })

  it('numbers its fields as envelope-fields.ts does', () => {
    const numbers = (message: DescMessage) =>
      Object.fromEntries(message.fields.map((field) => [field.localName, field.number]))
    expect(numbers(outboxEvent)).toEqual(EnvelopeField)
    expect(numbers(traceInfo)).toEqual(TraceInfoField)
    for (const entry of [...outboxEvent.proto.nestedType, ...traceInfo.proto.nestedType]) {
      expect(entry.options?.mapEntry, entry.name).toBe(true)
      expect(Object.fromEntries(entry.field.map((field) => [field.name, field.number]))).toEqual(
        MapEntryField,
      )
    }
  })

  it('gives explicit presence to trace_info alone, the one field the model can leave out', () => {
    const explicit = [...outboxEvent.fields, ...traceInfo.fields].filter(
      (field) => field.fieldKind !== 'map' && field.presence === FeatureSet_FieldPresence.EXPLICIT,
    )
    expect(explicit.map((field) => field.name)).toEqual(['trace_info'])
  })
})

describe('the hand-written codec against a reference codec made from fact_envelope.proto', () => {
  describe.each([...singleFieldCases(outboxEvent), ...singleFieldCases(traceInfo)])(
    '%s',
    (_name, samples) => {
      it('is written with the same number, wire type and bytes as the reference writes', () => {
        for (const message of samples) {
          const ours = encodeEnvelope(model.fromReference(message))
          const theirs = reference(message)
          expect(tagsOf(ours)).toEqual(tagsOf(theirs))
          expect(hex(ours)).toBe(hex(theirs))
        }
      })

      it('is read from the reference bytes by the decoder and the header reader', () => {
        for (const message of samples) expectSameReading(reference(message))
      })
    },
  )

  it('writes nothing for an envelope of defaults, as the reference does', () => {
    const empty = model.fromReference(referenceDecode(new Uint8Array(0)))
    expect(encodeEnvelope(empty)).toEqual(reference(model.toReference(empty)))
    expect(encodeEnvelope(empty)).toHaveLength(0)
  })

  it('round-trips any envelope through the reference, both ways', () => {
    fc.assert(
      fc.property(arbitraryEnvelope, (envelope) => {
        const expected = model.toReference(envelope)
        expect(
          equals(outboxEvent, referenceDecode(encodeEnvelope(envelope)) as never, expected as never),
        ).toBe(true)
        expect(decodeEnvelope(reference(expected))).toEqual(envelope)
      }),
      { numRuns: 300 },
    )
  })

  it('reads any reference message as the reference does, and writes it back unchanged', () => {
    fc.assert(
      fc.property(arbitraryMessage(outboxEvent, traceInfo), (message) => {
        const bytes = reference(message)
        expectSameReading(bytes)
        const again = referenceDecode(encodeEnvelope(decodeEnvelope(bytes)))
        expect(equals(outboxEvent, again as never, message as never)).toBe(true)
      }),
      { numRuns: 300 },
    )
  })

  it('reads fields of several messages in any order as the reference does: last scalar wins, maps and trace_info merge', () => {
    const message = arbitraryMessage(outboxEvent, traceInfo)
    fc.assert(
      fc.property(
        fc.array(message, { minLength: 1, maxLength: 3 }).chain((messages) => {
          const fields = messages.flatMap((one) => fieldsOf(reference(one)))
          return fc.shuffledSubarray(fields, { minLength: fields.length })
        }),
        // A Node Buffer, as a relay receives them, where the other cases read plain Uint8Arrays.
        (fields) => expectSameReading(Buffer.concat(fields)),
      ),
      { numRuns: 300 },
    )
  })

  describe.each([
    [
      'OutboxEvent.metadata',
      (entries: Uint8Array[]) => entries.map((entry) => field(EnvelopeField.metadata, entry)),
    ],
    [
      'TraceInfo.metadata',
      (entries: Uint8Array[]) => [
        field(EnvelopeField.traceInfo, concat(entries.map((entry) => field(TraceInfoField.metadata, entry)))),
      ],
    ],
  ])('map entries of %s as the reference reads them', (_name, place) => {
    const key = (value: string) => stringField(MapEntryField.key, value)
    const value = (text: string) => stringField(MapEntryField.value, text)
    const unknown = new BinaryWriter().tag(9, WireType.Varint).uint32(1).finish()
    it.each([
      ['key only', [concat([key('k')])]],
      ['value only', [concat([value('v')])]],
      ['neither', [new Uint8Array(0)]],
      ['value before key', [concat([value('v'), key('k')])]],
      ['a key twice in one entry', [concat([key('a'), key('k'), value('v')])]],
      ['an unknown field in the entry', [concat([key('k'), unknown, value('v')])]],
      ['the same key in two entries', [concat([key('k'), value('1')]), concat([key('k'), value('2')])]],
      ['is_sampled and parent_op', [concat([key('is_sampled'), value('0')]), concat([key('parent_op')])]],
    ])('%s', (_case, entries) => {
      expectSameReading(concat(place(entries)))
    })
  })
})

function field(fieldNumber: number, bytes: Uint8Array): Uint8Array {
  return new BinaryWriter().tag(fieldNumber, WireType.LengthDelimited).bytes(bytes).finish()
}

function stringField(fieldNumber: number, value: string): Uint8Array {
  return new BinaryWriter().tag(fieldNumber, WireType.LengthDelimited).string(value).finish()
}

function concat(parts: Uint8Array[]): Uint8Array {
  return Uint8Array.from(Buffer.concat(parts))
}
