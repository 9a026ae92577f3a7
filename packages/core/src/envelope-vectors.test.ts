import { describe, expect, it } from 'vitest'
import { decodeEnvelope } from './decode-envelope.js'
import { encodeEnvelope } from './encode-envelope.js'
import { readEnvelopeHeader } from './read-envelope-header.js'
import { loadFactEnvelopeVectors } from './test-support/fact-envelope-vectors.js'

const cases = loadFactEnvelopeVectors()

describe('fact envelope vectors from the official protobuf runtime', () => {
  it('covers every case in vectors.json', () => {
    expect(cases.length).toBeGreaterThanOrEqual(10)
    expect(cases.some((vector) => vector.hasMap)).toBe(true)
    expect(cases.some((vector) => vector.envelope.createdAt > BigInt(Number.MAX_SAFE_INTEGER))).toBe(true)
  })

  describe.each(cases.map((vector) => [vector.name, vector] as const))('%s', (_name, vector) => {
    it('decodes the official bytes to the case fields', () => {
      expect(decodeEnvelope(vector.bytes)).toEqual(vector.envelope)
    })

    it('encodes to bytes the official runtime reads back identically', () => {
      const encoded = encodeEnvelope(vector.envelope)
      if (!vector.hasMap)
        expect(Buffer.from(encoded).toString('hex')).toBe(Buffer.from(vector.bytes).toString('hex'))
      expect(decodeEnvelope(encoded)).toEqual(vector.envelope)
      expect(encoded.length).toBe(vector.bytes.length)
    })

    it('reads the header fields without the payload', () => {
      const { id, aggregateType, aggregateId, eventType, traceInfo } = vector.envelope
      const expected = traceInfo
        ? { id, aggregateType, aggregateId, eventType, traceInfo }
        : { id, aggregateType, aggregateId, eventType }
      const { trace, ...header } = readEnvelopeHeader(vector.bytes)
      expect(header).toEqual(expected)
      expect(trace === undefined).toBe(traceInfo === undefined)
    })
  })

  it('matches the official bytes for maps too, since entries are sorted by key like deterministic serialisation', () => {
    for (const vector of cases.filter((candidate) => candidate.hasMap)) {
      expect(Buffer.from(encodeEnvelope(vector.envelope)).toString('hex'), vector.name).toBe(
        Buffer.from(vector.bytes).toString('hex'),
      )
    }
  })

  it('gives every encoding bytes of its own, however the encodings interleave and whatever their size', () => {
    const small = cases.filter((vector) => vector.bytes.length < 16 * 1024)
    const large = {
      ...small[0]!.envelope,
      payload: new Uint8Array(40 * 1024).fill(7),
      metadata: { big: 'x'.repeat(20 * 1024) },
    }
    const encodings = [...small.map((vector) => encodeEnvelope(vector.envelope)), encodeEnvelope(large)]
    // Encode again after the large one, which outgrew any reused buffer.
    encodings.push(encodeEnvelope(small[0]!.envelope))
    for (const [index, vector] of small.entries()) {
      expect(Buffer.from(encodings[index]!).toString('hex'), vector.name).toBe(
        Buffer.from(encodeEnvelope(vector.envelope)).toString('hex'),
      )
      expect(decodeEnvelope(encodings[index]!)).toEqual(vector.envelope)
    }
    expect(decodeEnvelope(encodings[small.length]!)).toEqual(large)
    expect(encodings.at(-1)).toEqual(encodings[0])
  })
})
