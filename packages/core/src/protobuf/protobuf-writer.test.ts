import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { ProtobufReader } from './protobuf-reader.js'
import { ProtobufWriter } from './protobuf-writer.js'

/** The varint of an int64 straight from its definition: 7 bits at a time of the 64-bit two's complement. */
function referenceInt64(value: bigint): number[] {
  let remaining = BigInt.asUintN(64, value)
  const bytes: number[] = []
  while (remaining > 0x7fn) {
    bytes.push(Number(remaining & 0x7fn) | 0x80)
    remaining >>= 7n
  }
  bytes.push(Number(remaining))
  return bytes
}

describe('ProtobufWriter.int64', () => {
  it('writes every int64 as its two-complement varint, and reads back the same value', () => {
    const edges = [0n, 1n, 127n, 128n, 2n ** 31n - 1n, 2n ** 31n, 2n ** 32n - 1n, 2n ** 32n, 2n ** 35n]
    const more = [2n ** 53n, 2n ** 63n - 1n, -1n, -(2n ** 63n), 1_767_323_045_678_000_000n]
    fc.assert(
      fc.property(
        fc.oneof(fc.constantFrom(...edges, ...more), fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n })),
        (value) => {
          const bytes = new ProtobufWriter(4).int64(value).finish()
          expect([...bytes]).toEqual(referenceInt64(value))
          expect(new ProtobufReader(bytes).int64('value')).toBe(value)
        },
      ),
      { numRuns: 2_000 },
    )
  })
})
