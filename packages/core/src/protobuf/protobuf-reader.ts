import { EnvelopeDecodeError } from '../envelope-decode-error.js'
import { WireType } from './wire-type.js'

const utf8 = new TextDecoder('utf-8', { fatal: true })

export interface FieldTag {
  fieldNumber: number
  wireType: number
  /** Offset of the tag itself, for error reports. */
  offset: number
}

/**
 * Minimal protobuf reader over one message's bytes. `base` is the absolute offset of `bytes`
 * inside the outermost buffer so errors point at the right byte of what was received.
 */
export class ProtobufReader {
  position: number

  constructor(
    private readonly bytes: Uint8Array,
    start = 0,
    private readonly end = bytes.length,
    private readonly context = '',
  ) {
    this.position = start
  }

  get done(): boolean {
    return this.position >= this.end
  }

  tag(): FieldTag {
    const offset = this.position
    const value = this.varint('tag')
    const fieldNumber = Math.floor(value / 8)
    if (fieldNumber === 0 || fieldNumber > 0x1fff_ffff) {
      throw new EnvelopeDecodeError(this.name('tag'), offset, `invalid field number ${fieldNumber}`)
    }
    return { fieldNumber, wireType: value % 8, offset }
  }

  /** A varint that must fit in a JavaScript safe integer (tags and lengths). */
  varint(field: string): number {
    const offset = this.position
    let result = 0
    let multiplier = 1
    for (let index = 0; index < 10; index++) {
      if (this.position >= this.end)
        throw new EnvelopeDecodeError(this.name(field), offset, 'truncated varint')
      const byte = this.bytes[this.position++]!
      result += (byte & 0x7f) * multiplier
      if (byte < 0x80) {
        if (result > Number.MAX_SAFE_INTEGER) {
          throw new EnvelopeDecodeError(this.name(field), offset, 'varint too large')
        }
        return result
      }
      multiplier *= 0x80
    }
    throw new EnvelopeDecodeError(this.name(field), offset, 'varint longer than 10 bytes')
  }

  /** Protobuf `int64`: the varint's low 64 bits as two's complement. */
  int64(field: string): bigint {
    const offset = this.position
    let result = 0n
    let shift = 0n
    for (let index = 0; index < 10; index++) {
      if (this.position >= this.end)
        throw new EnvelopeDecodeError(this.name(field), offset, 'truncated varint')
      const byte = this.bytes[this.position++]!
      result |= BigInt(byte & 0x7f) << shift
      if (byte < 0x80) return BigInt.asIntN(64, result)
      shift += 7n
    }
    throw new EnvelopeDecodeError(this.name(field), offset, 'varint longer than 10 bytes')
  }

  /** Reads a length prefix and returns the [start, end) range of the field's bytes, moving past them. */
  lengthDelimited(field: string): [number, number] {
    const offset = this.position
    const length = this.varint(field)
    const start = this.position
    if (length > this.end - start) {
      throw new EnvelopeDecodeError(
        this.name(field),
        offset,
        `length ${length} runs past the end of the message`,
      )
    }
    this.position = start + length
    return [start, start + length]
  }

  string(field: string): string {
    const offset = this.position
    const [start, end] = this.lengthDelimited(field)
    try {
      return utf8.decode(this.bytes.subarray(start, end))
    } catch {
      throw new EnvelopeDecodeError(this.name(field), offset, 'invalid UTF-8 in string field')
    }
  }

  /**
   * A copy of a bytes field as a plain Uint8Array, so the result neither pins the received buffer
   * nor aliases it (Node's `Buffer#slice` would return a view, and a Buffer).
   */
  bytesField(field: string): Uint8Array {
    const [start, end] = this.lengthDelimited(field)
    return new Uint8Array(this.bytes.subarray(start, end))
  }

  /** A reader over a nested message's bytes. */
  message(field: string): ProtobufReader {
    const [start, end] = this.lengthDelimited(field)
    return new ProtobufReader(this.bytes, start, end, this.name(field))
  }

  /** Skips a field of any wire type, as protobuf requires for unknown fields. */
  skip(tag: FieldTag): void {
    const field = `field ${tag.fieldNumber}`
    switch (tag.wireType) {
      case WireType.varint:
        this.int64(field)
        return
      case WireType.fixed64:
        this.advance(8, field, tag.offset)
        return
      case WireType.lengthDelimited:
        this.lengthDelimited(field)
        return
      case WireType.fixed32:
        this.advance(4, field, tag.offset)
        return
      case WireType.startGroup:
        this.skipGroup(tag)
        return
      default:
        throw new EnvelopeDecodeError(this.name(field), tag.offset, `unexpected wire type ${tag.wireType}`)
    }
  }

  private skipGroup(startTag: FieldTag): void {
    for (;;) {
      if (this.done) {
        throw new EnvelopeDecodeError(
          this.name(`field ${startTag.fieldNumber}`),
          startTag.offset,
          'unterminated group',
        )
      }
      const inner = this.tag()
      if (inner.wireType === WireType.endGroup) {
        if (inner.fieldNumber !== startTag.fieldNumber) {
          throw new EnvelopeDecodeError(
            this.name(`field ${inner.fieldNumber}`),
            inner.offset,
            'mismatched end group',
          )
        }
        return
      }
      this.skip(inner)
    }
  }

  private advance(count: number, field: string, offset: number): void {
    if (this.end - this.position < count)
      throw new EnvelopeDecodeError(this.name(field), offset, 'truncated field')
    this.position += count
  }

  private name(field: string): string {
    return this.context ? `${this.context}.${field}` : field
  }
}
