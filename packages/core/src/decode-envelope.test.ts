import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { decodeEnvelope } from './decode-envelope.js'
import { encodeEnvelope } from './encode-envelope.js'
import { EnvelopeDecodeError } from './envelope-decode-error.js'
import type { FactEnvelope } from './fact.js'
import { ProtobufWriter } from './protobuf/protobuf-writer.js'
import { WireType } from './protobuf/wire-type.js'
import { readEnvelopeHeader } from './read-envelope-header.js'

const utf8 = new TextEncoder()

function message(build: (writer: ProtobufWriter) => void): Uint8Array {
  const writer = new ProtobufWriter()
  build(writer)
  return writer.finish().slice()
}

function mapEntry(key: string | undefined, value: string | undefined): Uint8Array {
  return message((writer) => {
    if (key !== undefined) writer.tag(1, WireType.lengthDelimited).string(key)
    if (value !== undefined) writer.tag(2, WireType.lengthDelimited).string(value)
  })
}

function captureError(run: () => unknown): EnvelopeDecodeError {
  try {
    run()
  } catch (error) {
    if (error instanceof EnvelopeDecodeError) return error
    throw error
  }
  throw new Error('expected an EnvelopeDecodeError')
}

describe('decodeEnvelope follows the protobuf parsing rules', () => {
  it('skips unknown fields of every wire type, including groups', () => {
    const bytes = message((writer) => {
      writer.tag(99, WireType.varint).varint(300)
      writer.tag(1, WireType.lengthDelimited).string('id-1')
      writer.tag(100, WireType.fixed64).bytes(new Uint8Array(7)) // length byte + 7 = 8 bytes of fixed64
      writer.tag(101, WireType.fixed32).bytes(new Uint8Array(3)) // length byte + 3 = 4 bytes of fixed32
      writer.tag(102, WireType.lengthDelimited).bytes(utf8.encode('ignored'))
      writer.tag(103, WireType.startGroup)
      writer.tag(1, WireType.varint).varint(5)
      writer.tag(104, WireType.startGroup).tag(104, WireType.endGroup)
      writer.tag(103, WireType.endGroup)
      writer.tag(2, WireType.lengthDelimited).string('user')
    })
    const envelope = decodeEnvelope(bytes)
    expect(envelope.id).toBe('id-1')
    expect(envelope.aggregateType).toBe('user')
    expect(readEnvelopeHeader(bytes)).toEqual({
      id: 'id-1',
      aggregateType: 'user',
      aggregateId: '',
      eventType: '',
    })
  })

  it('treats a known field number with an unexpected wire type as unknown', () => {
    const bytes = message((writer) => {
      writer.tag(1, WireType.varint).varint(7)
      writer.tag(6, WireType.lengthDelimited).string('not an int')
      writer.tag(4, WireType.lengthDelimited).string('created')
    })
    expect(decodeEnvelope(bytes)).toMatchObject({ id: '', createdAt: 0n, eventType: 'created' })
  })

  it('accepts fields in any order and lets the last scalar win', () => {
    const bytes = message((writer) => {
      writer.tag(6, WireType.varint).int64(-1n)
      writer.tag(4, WireType.lengthDelimited).string('first')
      writer.tag(3, WireType.lengthDelimited).string('agg')
      writer.tag(1, WireType.lengthDelimited).string('a')
      writer.tag(4, WireType.lengthDelimited).string('second')
      writer.tag(5, WireType.lengthDelimited).bytes(new Uint8Array([1]))
      writer.tag(6, WireType.varint).int64(42n)
      writer.tag(5, WireType.lengthDelimited).bytes(new Uint8Array([2, 3]))
    })
    expect(decodeEnvelope(bytes)).toMatchObject({
      id: 'a',
      aggregateId: 'agg',
      eventType: 'second',
      createdAt: 42n,
      payload: new Uint8Array([2, 3]),
    })
    expect(readEnvelopeHeader(bytes).eventType).toBe('second')
  })

  it('reads map entries with a missing key or value as empty strings, the last duplicate winning', () => {
    const bytes = message((writer) => {
      writer.tag(7, WireType.lengthDelimited).bytes(mapEntry(undefined, 'no key'))
      writer.tag(7, WireType.lengthDelimited).bytes(mapEntry('no value', undefined))
      writer.tag(7, WireType.lengthDelimited).bytes(mapEntry('dup', 'one'))
      writer.tag(7, WireType.lengthDelimited).bytes(mapEntry('dup', 'two'))
      writer.tag(7, WireType.lengthDelimited).bytes(new Uint8Array(0))
      // value before key, plus an unknown field inside the entry
      writer.tag(7, WireType.lengthDelimited).bytes(
        message((entry) => {
          entry.tag(2, WireType.lengthDelimited).string('v')
          entry.tag(9, WireType.varint).varint(1)
          entry.tag(1, WireType.lengthDelimited).string('k')
        }),
      )
    })
    expect(decodeEnvelope(bytes).metadata).toEqual({ '': '', 'no value': '', dup: 'two', k: 'v' })
  })

  it('keeps a __proto__ metadata key as data', () => {
    const bytes = message((writer) => {
      writer.tag(7, WireType.lengthDelimited).bytes(mapEntry('__proto__', 'x'))
    })
    const { metadata } = decodeEnvelope(bytes)
    expect(Object.keys(metadata)).toEqual(['__proto__'])
    expect(Object.getPrototypeOf(metadata)).toBe(Object.prototype)
  })

  it('merges repeated trace_info messages, reads is_sampled leniently and keeps other entries verbatim', () => {
    const bytes = message((writer) => {
      writer.tag(8, WireType.lengthDelimited).bytes(
        message((trace) => {
          trace.tag(1, WireType.lengthDelimited).string('trace-a')
          trace.tag(3, WireType.lengthDelimited).bytes(mapEntry('parent_op', 'GET /'))
        }),
      )
      writer.tag(8, WireType.lengthDelimited).bytes(
        message((trace) => {
          trace.tag(2, WireType.lengthDelimited).string('span-b')
          trace.tag(3, WireType.lengthDelimited).bytes(mapEntry('is_sampled', 'true'))
          trace.tag(3, WireType.lengthDelimited).bytes(mapEntry('tenant', 'acme'))
        }),
      )
    })
    const expected = {
      traceId: 'trace-a',
      spanId: 'span-b',
      parentOp: 'GET /',
      isSampled: true,
      metadata: { tenant: 'acme' },
    }
    expect(decodeEnvelope(bytes).traceInfo).toEqual(expected)
    expect(readEnvelopeHeader(bytes).traceInfo).toEqual(expected)
  })

  it('keeps an is_sampled it cannot read as a metadata entry, so re-encoding loses nothing', () => {
    const bytes = message((writer) => {
      writer.tag(8, WireType.lengthDelimited).bytes(
        message((trace) => {
          trace.tag(1, WireType.lengthDelimited).string('t')
          trace.tag(3, WireType.lengthDelimited).bytes(mapEntry('is_sampled', 'maybe'))
        }),
      )
    })
    const envelope = decodeEnvelope(bytes)
    expect(envelope.traceInfo).toEqual({ traceId: 't', spanId: '', metadata: { is_sampled: 'maybe' } })
    expect(decodeEnvelope(encodeEnvelope(envelope))).toEqual(envelope)
  })

  it('leaves traceInfo out when the field is absent', () => {
    expect(
      decodeEnvelope(message((writer) => writer.tag(1, WireType.lengthDelimited).string('x'))),
    ).not.toHaveProperty('traceInfo')
  })
})

describe('decodeEnvelope rejects malformed bytes with the failing field and offset', () => {
  it('reports a string whose length runs past the end', () => {
    const bytes = Uint8Array.from([0x0a, 0x01, 0x61, 0x12, 0x05, 0x61])
    const error = captureError(() => decodeEnvelope(bytes))
    expect(error.field).toBe('aggregate_type')
    expect(error.offset).toBe(4)
    expect(captureError(() => readEnvelopeHeader(bytes)).field).toBe('aggregate_type')
  })

  it('reports a truncated varint', () => {
    const error = captureError(() => decodeEnvelope(Uint8Array.from([0x30, 0xff, 0xff])))
    expect(error.field).toBe('created_at')
    expect(error.offset).toBe(1)
  })

  it('reports a varint longer than ten bytes', () => {
    const bytes = Uint8Array.from([0x30, ...new Array(10).fill(0xff), 0x01])
    expect(captureError(() => decodeEnvelope(bytes)).message).toContain('longer than 10 bytes')
  })

  it('reports field number zero', () => {
    const error = captureError(() => decodeEnvelope(Uint8Array.from([0x0a, 0x00, 0x02, 0x00])))
    expect(error.field).toBe('tag')
    expect(error.offset).toBe(2)
  })

  it('reports invalid UTF-8 in a string field', () => {
    const error = captureError(() => decodeEnvelope(Uint8Array.from([0x22, 0x02, 0xc3, 0x28])))
    expect(error.field).toBe('event_type')
  })

  it('names nested fields with their path', () => {
    const bytes = Uint8Array.from([0x42, 0x04, 0x1a, 0x02, 0x0a, 0x05])
    const error = captureError(() => decodeEnvelope(bytes))
    expect(error.field).toBe('trace_info.metadata.key')
    expect(error.offset).toBe(5)
  })

  it('reports an unterminated group and wire types 6 and 7', () => {
    expect(captureError(() => decodeEnvelope(Uint8Array.from([0x4b]))).message).toContain(
      'unterminated group',
    )
    expect(captureError(() => decodeEnvelope(Uint8Array.from([0x4e]))).message).toContain('wire type 6')
  })
})

const envelopeArbitrary: fc.Arbitrary<FactEnvelope> = fc.record(
  {
    id: fc.string({ unit: 'grapheme' }),
    aggregateType: fc.string({ unit: 'grapheme' }),
    aggregateId: fc.string({ unit: 'grapheme' }),
    eventType: fc.string({ unit: 'grapheme' }),
    payload: fc.uint8Array({ maxLength: 300 }),
    createdAt: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
    metadata: fc.dictionary(fc.string({ unit: 'grapheme' }), fc.string({ unit: 'grapheme' })),
    traceInfo: fc.record(
      {
        traceId: fc.string(),
        spanId: fc.string(),
        parentOp: fc.string({ unit: 'grapheme' }),
        isSampled: fc.boolean(),
      },
      { requiredKeys: ['traceId', 'spanId'] },
    ),
  },
  { requiredKeys: ['id', 'aggregateType', 'aggregateId', 'eventType', 'payload', 'createdAt', 'metadata'] },
)

describe('round trip', () => {
  it('decode(encode(envelope)) equals the envelope for arbitrary envelopes', () => {
    fc.assert(
      fc.property(envelopeArbitrary, (envelope) => {
        expect(decodeEnvelope(encodeEnvelope(envelope))).toEqual(envelope)
      }),
      { numRuns: 500 },
    )
  })

  it('never throws anything but EnvelopeDecodeError on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        for (const decode of [decodeEnvelope, readEnvelopeHeader]) {
          try {
            decode(bytes)
          } catch (error) {
            expect(error).toBeInstanceOf(EnvelopeDecodeError)
          }
        }
      }),
      { numRuns: 2000 },
    )
  })
})

describe('decoding from a Node Buffer', () => {
  it('returns the payload as a plain Uint8Array copy, not a view into the Buffer', () => {
    const source = Buffer.from(
      encodeEnvelope({
        id: 'b',
        aggregateType: 'a',
        aggregateId: 'c',
        eventType: 'e',
        payload: Uint8Array.from([1, 2, 3]),
        createdAt: 1n,
        metadata: {},
      }),
    )
    const { payload } = decodeEnvelope(source)
    expect(Object.getPrototypeOf(payload)).toBe(Uint8Array.prototype)
    source.fill(0)
    expect([...payload]).toEqual([1, 2, 3])
  })
})

describe('string encoding boundaries', () => {
  it('round-trips ASCII and non-ASCII strings around the one-byte length limit', () => {
    for (const length of [0, 1, 126, 127, 128, 129, 300]) {
      for (const tail of ['', 'é', '😀']) {
        const text = 'a'.repeat(length) + tail
        const envelope = {
          id: text,
          aggregateType: `t${text}`,
          aggregateId: 'x',
          eventType: 'e',
          payload: new Uint8Array(),
          createdAt: 0n,
          metadata: { [text]: text },
        }
        expect(decodeEnvelope(encodeEnvelope(envelope))).toEqual(envelope)
      }
    }
  })
})
