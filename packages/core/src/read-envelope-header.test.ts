import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { decodeEnvelope } from './decode-envelope.js'
import { encodeEnvelope } from './encode-envelope.js'
import { readEnvelopeHeader } from './read-envelope-header.js'
import { traceInfoFromWire } from './trace-metadata.js'

describe('readEnvelopeHeader', () => {
  it('agrees with decodeEnvelope on every header field', () => {
    fc.assert(
      fc.property(
        fc.record({
          id: fc.string(),
          aggregateType: fc.string({ unit: 'grapheme' }),
          aggregateId: fc.string(),
          eventType: fc.string(),
          payload: fc.uint8Array({ maxLength: 2000 }),
          createdAt: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
          metadata: fc.dictionary(fc.string(), fc.string()),
        }),
        fc.option(
          fc.record({
            traceId: fc.string(),
            spanId: fc.string(),
            isSampled: fc.boolean(),
            metadata: fc.dictionary(fc.string(), fc.string()),
          }),
          { nil: undefined },
        ),
        (fields, traceInfo) => {
          const bytes = encodeEnvelope(traceInfo ? { ...fields, traceInfo } : fields)
          const { id, aggregateType, aggregateId, eventType, traceInfo: decodedTrace } = decodeEnvelope(bytes)
          const expected = decodedTrace
            ? { id, aggregateType, aggregateId, eventType, traceInfo: decodedTrace }
            : { id, aggregateType, aggregateId, eventType }
          const { trace, ...header } = readEnvelopeHeader(bytes)
          expect(header).toEqual(expected)
          // The wire form holds the same entries, as the TraceInfo was built from it.
          if (decodedTrace) {
            expect(trace).toBeDefined()
            expect(traceInfoFromWire(trace!.traceId, trace!.spanId, trace!.metadata)).toEqual(decodedTrace)
          } else {
            expect(trace).toBeUndefined()
          }
          // The relay hands over Node Buffers, which take a faster path for ASCII text.
          const { trace: _, ...fromBuffer } = readEnvelopeHeader(Buffer.from(bytes))
          expect(fromBuffer).toEqual(expected)
        },
      ),
      { numRuns: 300 },
    )
  })

  it('refuses invalid UTF-8 in a Buffer as in any Uint8Array', () => {
    const bytes = Buffer.from(
      encodeEnvelope({
        id: 'i',
        aggregateType: 'order',
        aggregateId: 'abc',
        eventType: 'x',
        payload: new Uint8Array(0),
        metadata: {},
        createdAt: 1n,
      }),
    )
    const at = bytes.indexOf('abc')
    bytes[at + 1] = 0xff
    expect(() => readEnvelopeHeader(bytes)).toThrow(/aggregate_id.*invalid UTF-8/)
    expect(() => readEnvelopeHeader(new Uint8Array(bytes))).toThrow(/aggregate_id.*invalid UTF-8/)
  })
})
