import { createHash } from 'node:crypto'
import { PgoutputDecodeError } from './pgoutput-decode-error.js'
import type { OversizedLogicalMessage } from './pgoutput-messages.js'

/** How many of the content's first bytes an oversized logical message keeps. */
export const contentHeadBytes = 64

const contentLengthSize = 4

/**
 * Reads the rest of an oversized logical message as it passes, piece by piece, keeping nothing
 * but a SHA-256 state and the content's first bytes: the consumer learns what the message was
 * without it ever being held. When the decoder could not read the whole header from the head, it
 * starts at the prefix and finds the prefix's NUL and the content length on the way.
 */
export class OversizedContentDigest {
  private readonly hash = createHash('sha256')
  private readonly head = new Uint8Array(contentHeadBytes)
  private headLength = 0
  private state: 'prefix' | 'length' | 'content'
  private readonly lengthBytes = new Uint8Array(contentLengthSize)
  private lengthRead = 0
  private contentLength = 0
  private remaining = 0
  /** Offset in the message of the next byte, for errors. */
  private position: number

  /** `offset` and `length` as OversizedHead.content gives them. */
  constructor(offset: number, length: number | undefined) {
    this.position = offset
    if (length === undefined) this.state = 'prefix'
    else {
      this.state = 'content'
      this.contentLength = length
      this.remaining = length
    }
  }

  update(bytes: Uint8Array): void {
    let index = 0
    while (index < bytes.length) {
      if (this.state === 'prefix') {
        const nul = bytes.indexOf(0, index)
        const end = nul < 0 ? bytes.length : nul + 1
        this.position += end - index
        index = end
        if (nul >= 0) this.state = 'length'
      } else if (this.state === 'length') {
        this.lengthBytes[this.lengthRead++] = bytes[index++]!
        this.position++
        if (this.lengthRead === contentLengthSize) this.startContent()
      } else {
        const count = Math.min(this.remaining, bytes.length - index)
        if (count === 0) {
          this.fail('content', `${bytes.length - index} byte(s) follow the ${this.contentLength} declared`)
        }
        const piece = bytes.subarray(index, index + count)
        if (this.headLength < contentHeadBytes) {
          const kept = Math.min(count, contentHeadBytes - this.headLength)
          this.head.set(piece.subarray(0, kept), this.headLength)
          this.headLength += kept
        }
        this.hash.update(piece)
        this.remaining -= count
        this.position += count
        index += count
      }
    }
  }

  private startContent(): void {
    const length = new DataView(this.lengthBytes.buffer).getInt32(0)
    if (length < 0)
      this.fail('content.length', `negative length ${length}`, this.position - contentLengthSize)
    this.state = 'content'
    this.contentLength = length
    this.remaining = length
  }

  /** Call once the message has ended; throws PgoutputDecodeError if it ended before its content did. */
  finish(): Pick<OversizedLogicalMessage, 'contentLength' | 'contentHead' | 'contentSha256'> {
    if (this.state === 'prefix')
      this.fail('prefix', 'string has no NUL terminator before the end of the message')
    if (this.state === 'length') this.fail('content.length', 'the message ends inside it')
    if (this.remaining > 0) {
      this.fail(
        'content',
        `the message ends ${this.remaining} byte(s) before the ${this.contentLength} declared`,
      )
    }
    return {
      contentLength: this.contentLength,
      contentHead: this.head.slice(0, this.headLength),
      contentSha256: this.hash.digest('hex'),
    }
  }

  private fail(field: string, reason: string, offset = this.position): never {
    throw new PgoutputDecodeError('message', field, offset, reason)
  }
}
