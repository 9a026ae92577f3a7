import type { WireType } from './wire-type.js'

const utf8 = new TextEncoder()

/**
 * Minimal protobuf writer: varints and length-delimited fields, which is all the fact envelope
 * needs. Nested messages are written into a child writer and appended as bytes, so no length
 * back-patching is needed.
 */
export class ProtobufWriter {
  private buffer: Uint8Array
  private length = 0

  constructor(initialCapacity = 256) {
    this.buffer = new Uint8Array(initialCapacity)
  }

  /** Writes `value` (0 ≤ value ≤ 2^53-1) as a base-128 varint. */
  varint(value: number): this {
    this.reserve(10)
    let remaining = value
    // Bit operators truncate to 32 bits, so large values are reduced arithmetically first.
    while (remaining > 0x7f) {
      this.buffer[this.length++] = (remaining % 0x80) | 0x80
      remaining = Math.floor(remaining / 0x80)
    }
    this.buffer[this.length++] = remaining
    return this
  }

  /** Writes a signed 64-bit integer as protobuf `int64` (two's complement, so negatives take 10 bytes). */
  int64(value: bigint): this {
    // Two 32-bit halves: a bigint shift per 7 bits allocated about 20 bigints per created_at.
    const unsigned = BigInt.asUintN(64, value)
    let low = Number(unsigned & 0xffff_ffffn)
    let high = Number(unsigned >> 32n)
    this.reserve(10)
    while (high > 0 || low > 0x7f) {
      this.buffer[this.length++] = (low & 0x7f) | 0x80
      low = ((low >>> 7) | (high << 25)) >>> 0
      high >>>= 7
    }
    this.buffer[this.length++] = low
    return this
  }

  tag(fieldNumber: number, wireType: WireType): this {
    return this.varint(fieldNumber * 8 + wireType)
  }

  bytes(value: Uint8Array): this {
    this.varint(value.length)
    this.reserve(value.length)
    this.buffer.set(value, this.length)
    this.length += value.length
    return this
  }

  string(value: string): this {
    if (value.length < 128 && this.asciiString(value)) return this
    // Worst case is 3 UTF-8 bytes per UTF-16 code unit; encode in place to avoid a copy.
    const maxBytes = value.length * 3
    const lengthBytes = varintSize(maxBytes)
    this.reserve(lengthBytes + maxBytes)
    const start = this.length + varintSize(maxBytes)
    const { written } = utf8.encodeInto(value, this.buffer.subarray(start))
    const actualLengthBytes = varintSize(written)
    if (actualLengthBytes !== lengthBytes) {
      this.buffer.copyWithin(this.length + actualLengthBytes, start, start + written)
    }
    this.varint(written)
    this.length += written
    return this
  }

  /**
   * Short ASCII strings (ids, types, most keys) are copied byte by byte, which is cheaper than a
   * call into the UTF-8 encoder. Returns false, having written nothing, on the first non-ASCII char.
   */
  private asciiString(value: string): boolean {
    this.reserve(1 + value.length)
    const start = this.length + 1
    for (let index = 0; index < value.length; index++) {
      const code = value.charCodeAt(index)
      if (code >= 0x80) return false
      this.buffer[start + index] = code
    }
    this.buffer[this.length] = value.length
    this.length = start + value.length
    return true
  }

  /** Bytes the writer can hold before it grows. */
  get capacity(): number {
    return this.buffer.length
  }

  /** Forgets what was written, keeping the buffer for the next message. */
  reset(): void {
    this.length = 0
  }

  /** The bytes written so far (a view; copy it before writing more). */
  finish(): Uint8Array {
    return this.buffer.subarray(0, this.length)
  }

  private reserve(extra: number): void {
    const needed = this.length + extra
    if (needed <= this.buffer.length) return
    let capacity = this.buffer.length * 2
    while (capacity < needed) capacity *= 2
    const grown = new Uint8Array(capacity)
    grown.set(this.buffer.subarray(0, this.length))
    this.buffer = grown
  }
}

export function varintSize(value: number): number {
  let size = 1
  let remaining = value
  while (remaining > 0x7f) {
    size++
    remaining = Math.floor(remaining / 0x80)
  }
  return size
}
