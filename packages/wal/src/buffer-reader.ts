import { PgoutputDecodeError } from './pgoutput-decode-error.js'

// Every JavaScript runtime has TextDecoder, but the ES library types do not declare it. Declared
// here, as much of it as is used, so the decoder type-checks with no DOM or Node types at all.
declare const TextDecoder: new (
  label: 'utf-8',
  options: { fatal: boolean; ignoreBOM: boolean },
) => { decode(input: Uint8Array): string }

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

/** Below this length a hand-rolled ASCII loop beats the TextDecoder call overhead. */
const asciiFastPathLimit = 64

/** Builds the error a failed read throws: PgoutputDecodeError unless the reader was given another. */
export type DecodeErrorFactory = (messageType: string, field: string, offset: number, reason: string) => Error

const pgoutputDecodeError: DecodeErrorFactory = (messageType, field, offset, reason) =>
  new PgoutputDecodeError(messageType, field, offset, reason)

/**
 * Big-endian reads over one buffer with a moving offset. Every read checks the bounds first and
 * names the message and field in the error, so nothing is ever read past the end.
 */
export class BufferReader {
  offset = 0
  messageType = 'unknown'
  private bytes: Uint8Array
  /** A view over the whole underlying ArrayBuffer, reused while messages share one (socket chunks do). */
  private view: DataView
  private base: number
  private length: number
  private cachedBytes = new Uint8Array(0)
  private cachedString = ''

  constructor(
    bytes: Uint8Array = new Uint8Array(0),
    private readonly decodeError: DecodeErrorFactory = pgoutputDecodeError,
  ) {
    this.bytes = bytes
    this.view = new DataView(bytes.buffer)
    this.base = bytes.byteOffset
    this.length = bytes.length
  }

  reset(bytes: Uint8Array, messageType: string): void {
    if (bytes.buffer !== this.view.buffer) this.view = new DataView(bytes.buffer)
    this.bytes = bytes
    this.base = bytes.byteOffset
    this.length = bytes.length
    this.offset = 0
    this.messageType = messageType
  }

  get remaining(): number {
    return this.length - this.offset
  }

  fail(field: string, reason: string, offset = this.offset): never {
    throw this.decodeError(this.messageType, field, offset, reason)
  }

  private need(count: number, field: string): void {
    if (this.offset + count > this.length) {
      this.fail(field, `needs ${count} byte(s) but only ${this.length - this.offset} remain`)
    }
  }

  uint8(field: string): number {
    this.need(1, field)
    return this.bytes[this.offset++]!
  }

  int16(field: string): number {
    this.need(2, field)
    const value = this.view.getInt16(this.base + this.offset)
    this.offset += 2
    return value
  }

  int32(field: string): number {
    this.need(4, field)
    const value = this.view.getInt32(this.base + this.offset)
    this.offset += 4
    return value
  }

  uint32(field: string): number {
    this.need(4, field)
    const value = this.view.getUint32(this.base + this.offset)
    this.offset += 4
    return value
  }

  /** Unsigned 64-bit: LSNs. */
  uint64(field: string): bigint {
    this.need(8, field)
    const value = this.view.getBigUint64(this.base + this.offset)
    this.offset += 8
    return value
  }

  /** Signed 64-bit: timestamps, which may precede the PostgreSQL epoch. */
  int64(field: string): bigint {
    this.need(8, field)
    const value = this.view.getBigInt64(this.base + this.offset)
    this.offset += 8
    return value
  }

  /** A view of the next `length` bytes, no copy. */
  bytesView(length: number, field: string): Uint8Array {
    if (length < 0) this.fail(field, `negative length ${length}`)
    this.need(length, field)
    const start = this.offset
    this.offset += length
    // A plain Uint8Array view: cheaper than subarray(), which goes through Buffer's species.
    return new Uint8Array(this.bytes.buffer, this.base + start, length)
  }

  /** A NUL-terminated UTF-8 string (the protocol's String type). */
  cstring(field: string): string {
    const start = this.offset
    const end = this.findNul(start)
    if (end < 0) this.fail(field, 'string has no NUL terminator before the end of the message')
    this.offset = end + 1
    return this.utf8(start, end, field)
  }

  /**
   * Like cstring(), but remembers the last string: logical message prefixes repeat from message to
   * message, and comparing a few bytes is cheaper than building the same string again.
   */
  repeatedCstring(field: string): string {
    const start = this.offset
    const bytes = this.bytes
    const cached = this.cachedBytes
    const length = cached.length
    if (start + length < this.length && bytes[start + length] === 0) {
      let index = 0
      while (index < length && cached[index] === bytes[start + index]) index++
      if (index === length) {
        this.offset = start + length + 1
        return this.cachedString
      }
    }
    const value = this.cstring(field)
    this.cachedBytes = bytes.slice(start, this.offset - 1)
    this.cachedString = value
    return value
  }

  /** A plain loop beats the native indexOf call for the short names pgoutput carries. */
  private findNul(start: number): number {
    const bytes = this.bytes
    const limit = Math.min(this.length, start + 64)
    for (let index = start; index < limit; index++) if (bytes[index] === 0) return index
    return limit < this.length ? bytes.indexOf(0, limit) : -1
  }

  /** `length` bytes decoded as UTF-8. */
  text(length: number, field: string): string {
    if (length < 0) this.fail(field, `negative length ${length}`)
    this.need(length, field)
    const start = this.offset
    this.offset += length
    return this.utf8(start, this.offset, field)
  }

  private utf8(start: number, end: number, field: string): string {
    const bytes = this.bytes
    if (end - start <= asciiFastPathLimit) {
      let ascii = ''
      let index = start
      for (; index < end; index++) {
        const byte = bytes[index]!
        if (byte > 0x7f) break
        ascii += String.fromCharCode(byte)
      }
      if (index === end) return ascii
    }
    try {
      return utf8.decode(bytes.subarray(start, end))
    } catch {
      return this.fail(field, 'invalid UTF-8', start)
    }
  }
}
