import { EnvelopeDecodeError } from '../envelope-decode-error.js'
import { WireType } from './wire-type.js'

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

/** Node's Buffer, when there is one: it reads text straight from a range, without a view. */
interface TextRange {
  toString(encoding: 'latin1', start: number, end: number): string
}
const NodeBuffer = (globalThis as { Buffer?: { isBuffer(value: unknown): boolean } }).Buffer

function isAscii(bytes: Uint8Array, start: number, end: number): boolean {
  for (let index = start; index < end; index++) if (bytes[index]! >= 0x80) return false
  return true
}

/** How errors name a field the reader does not know. */
const fieldName = (fieldNumber: number) => `field ${fieldNumber}`

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
  /** The last tag read, reused: a relay reads eight tags per fact. */
  private readonly current: FieldTag = { fieldNumber: 0, wireType: 0, offset: 0 }

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

  /** Reads a field's tag. The result is valid until the next tag() of this reader. */
  tag(): FieldTag {
    const offset = this.position
    const value = this.varint('tag')
    const fieldNumber = Math.floor(value / 8)
    if (fieldNumber === 0 || fieldNumber > 0x1fff_ffff) {
      throw new EnvelopeDecodeError(this.name('tag'), offset, `invalid field number ${fieldNumber}`)
    }
    const tag = this.current
    tag.fieldNumber = fieldNumber
    tag.wireType = value % 8
    tag.offset = offset
    return tag
  }

  /**
   * A varint that must fit in a JavaScript safe integer (tags and lengths). `field` names it in
   * errors; a tag stands for an unknown field, named only if there is an error.
   */
  varint(field: string | FieldTag): number {
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
    const start = this.passLengthDelimited(field)
    return [start, this.position]
  }

  /** Reads a length prefix and moves past the bytes it counts; returns where they start. */
  private passLengthDelimited(field: string | FieldTag): number {
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
    return start
  }

  string(field: string): string {
    const offset = this.position
    const [start, end] = this.lengthDelimited(field)
    const bytes = this.bytes
    // ASCII reads the same as Latin-1, and cannot be invalid UTF-8.
    if (NodeBuffer?.isBuffer(bytes) && isAscii(bytes, start, end)) {
      return (bytes as unknown as TextRange).toString('latin1', start, end)
    }
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
    switch (tag.wireType) {
      case WireType.varint:
        this.skipVarint(tag)
        return
      case WireType.fixed64:
        this.advance(8, tag)
        return
      case WireType.lengthDelimited:
        this.passLengthDelimited(tag)
        return
      case WireType.fixed32:
        this.advance(4, tag)
        return
      case WireType.startGroup:
        this.skipGroup(tag)
        return
      default:
        throw new EnvelopeDecodeError(this.name(tag), tag.offset, `unexpected wire type ${tag.wireType}`)
    }
  }

  /** Steps over a varint without decoding it: a relay skips created_at on every fact. */
  private skipVarint(tag: FieldTag): void {
    const offset = this.position
    for (let index = 0; index < 10; index++) {
      if (this.position >= this.end) throw new EnvelopeDecodeError(this.name(tag), offset, 'truncated varint')
      if (this.bytes[this.position++]! < 0x80) return
    }
    throw new EnvelopeDecodeError(this.name(tag), offset, 'varint longer than 10 bytes')
  }

  private skipGroup(tag: FieldTag): void {
    // The tag object is reused by tag() below.
    const startTag = { fieldNumber: tag.fieldNumber, offset: tag.offset }
    for (;;) {
      if (this.done) {
        throw new EnvelopeDecodeError(
          this.name(fieldName(startTag.fieldNumber)),
          startTag.offset,
          'unterminated group',
        )
      }
      const inner = this.tag()
      if (inner.wireType === WireType.endGroup) {
        if (inner.fieldNumber !== startTag.fieldNumber) {
          throw new EnvelopeDecodeError(this.name(inner), inner.offset, 'mismatched end group')
        }
        return
      }
      this.skip(inner)
    }
  }

  private advance(count: number, tag: FieldTag): void {
    if (this.end - this.position < count)
      throw new EnvelopeDecodeError(this.name(tag), tag.offset, 'truncated field')
    this.position += count
  }

  private name(field: string | FieldTag): string {
    const text = typeof field === 'string' ? field : fieldName(field.fieldNumber)
    return this.context ? `${this.context}.${text}` : text
  }
}
