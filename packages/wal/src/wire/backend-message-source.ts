/// <reference types="node" preserve="true" />
import type { Socket } from 'node:net'
import { defaultMaxMessageBytes } from '../replication-commands.js'
import {
  BackendMessageDecodeError,
  ReplicationConnectionError,
  ReplicationProtocolError,
} from '../replication-errors.js'
import { BackendCode, backendMessageName } from './message-codes.js'

/**
 * One backend message: its type byte and the body after the Int32 length. `bodyLength` is the
 * length the server declared; it is larger than `body.length` only for a CopyData cut short
 * (see `truncateCopyDataOver`), whose rest must go through discardRest() before the next message.
 */
export interface BackendMessage {
  code: number
  body: Uint8Array
  bodyLength: number
}

const headerSize = 5

/**
 * How much of a truncated CopyData is kept: room for the XLogData header and a logical message's
 * header (xid, flags, LSN, a prefix of any sensible length, the content length).
 */
export const truncatedHeadBytes = 64 * 1024

/**
 * Frames backend messages out of the socket, pull-based: data is read only while fewer than
 * `highWaterMark` bytes wait unconsumed (or while a caller waits for a message that is not complete
 * yet), so a consumer that stops pulling stops the socket and the server's sends with it.
 * Bodies are views into the received chunks, copied only when a message spans chunks.
 */
export class BackendMessageSource {
  private chunks: Buffer[] = []
  private headOffset = 0
  private buffered = 0
  private waiter: { resolve: (message: BackendMessage) => void; reject: (error: Error) => void } | undefined
  private failure: Error | undefined
  private discarding = false
  /** Bodies larger than this fail before any of them is buffered: a peer's word is no reason to hold a gigabyte. */
  private messageLimit = defaultMaxMessageBytes
  /** CopyData bodies larger than this arrive cut to their head; undefined outside streaming. */
  private copyDataLimit: number | undefined
  /** Bytes of the last truncated CopyData not yet received and passed to discardRest(). */
  private undiscarded = 0
  /** While discardRest() waits: where the arriving bytes go, and its promise's settlers. */
  private discardSink:
    | { onBytes: (bytes: Uint8Array) => void; resolve: () => void; reject: (error: Error) => void }
    | undefined
  /** performance.now() of the last bytes received. */
  lastActivity = performance.now()

  constructor(
    private readonly socket: Socket,
    private readonly highWaterMark = 256 * 1024,
  ) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk))
    socket.on('error', (error) =>
      this.fail(
        new ReplicationConnectionError(`connection to the server failed: ${error.message}`, { cause: error }),
      ),
    )
    socket.on('close', () => this.fail(new ReplicationConnectionError('the server closed the connection')))
  }

  /** True while a caller waits for bytes that have not arrived (a message, or the rest of one). */
  get waiting(): boolean {
    return this.waiter !== undefined || this.discardSink !== undefined
  }

  /**
   * Sets the size limits on message bodies. `messageBytes`: any larger body fails with
   * BackendMessageDecodeError before it is buffered. `truncateCopyDataOver` (streaming only): a
   * larger CopyData is returned cut to its first `truncatedHeadBytes` instead, and its rest goes
   * through discardRest().
   */
  setLimits(messageBytes: number, truncateCopyDataOver?: number): void {
    if (truncateCopyDataOver !== undefined && truncateCopyDataOver < truncatedHeadBytes) {
      throw new RangeError(
        `truncateCopyDataOver ${truncateCopyDataOver} is below the head kept (${truncatedHeadBytes})`,
      )
    }
    this.messageLimit = messageBytes
    this.copyDataLimit = truncateCopyDataOver
  }

  /** Bytes received but not yet consumed. */
  get bufferedBytes(): number {
    return this.buffered
  }

  get failed(): Error | undefined {
    return this.failure
  }

  /**
   * The next message if it has arrived in full, else undefined; never waits and never resumes the
   * socket (next() does when it has to wait). Throws ReplicationProtocolError on a broken frame.
   */
  takeBuffered(): BackendMessage | undefined {
    if (this.failure) return undefined
    return this.take()
  }

  next(): Promise<BackendMessage> {
    const message = this.take()
    if (message) return Promise.resolve(message)
    if (this.failure) return Promise.reject(this.failure)
    if (this.waiter)
      return Promise.reject(new Error('BackendMessageSource.next() called while a call is pending'))
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject }
      this.socket.resume()
    })
  }

  /**
   * Passes the rest of the truncated CopyData last returned to `onBytes` as it arrives, in pieces
   * that are views into the received chunks (valid only during the call), and keeps none of it.
   * The socket keeps flowing meanwhile: the high-water mark does not apply to bytes nobody keeps.
   */
  discardRest(onBytes: (bytes: Uint8Array) => void): Promise<void> {
    if (this.discardSink) return Promise.reject(new Error('BackendMessageSource.discardRest() is pending'))
    try {
      while (this.undiscarded > 0 && this.chunks.length > 0) {
        const head = this.chunks[0]!
        const count = Math.min(head.length - this.headOffset, this.undiscarded)
        const bytes = new Uint8Array(head.buffer, head.byteOffset + this.headOffset, count)
        this.undiscarded -= count
        this.consume(count)
        onBytes(bytes)
      }
    } catch (error) {
      this.fail(error as Error)
      return Promise.reject(error)
    }
    if (this.undiscarded === 0) return Promise.resolve()
    // What arrived before a failure was passed on above; the rest will never come.
    if (this.failure) return Promise.reject(this.failure)
    return new Promise((resolve, reject) => {
      this.discardSink = { onBytes, resolve, reject }
      this.socket.resume()
    })
  }

  /** Ends the source with an error: pending and later next() calls reject with it. */
  fail(error: Error): void {
    if (this.failure) return
    this.failure = error
    const waiter = this.waiter
    this.waiter = undefined
    waiter?.reject(error)
    const sink = this.discardSink
    this.discardSink = undefined
    sink?.reject(error)
    this.socket.destroy()
  }

  /** Drops whatever arrives from now on: the connection is ending and nobody will read it. */
  discard(): void {
    this.discarding = true
    this.chunks = []
    this.buffered = 0
    this.headOffset = 0
  }

  private onData(chunk: Buffer): void {
    this.lastActivity = performance.now()
    if (this.discarding || this.failure) return
    if (this.discardSink) {
      chunk = this.passToSink(chunk)
      if (chunk.length === 0) return
    }
    this.chunks.push(chunk)
    this.buffered += chunk.length
    if (this.waiter) {
      let message: BackendMessage | undefined
      try {
        message = this.take()
      } catch (error) {
        this.fail(error as Error)
        return
      }
      if (message) {
        const waiter = this.waiter
        this.waiter = undefined
        waiter.resolve(message)
      }
    }
    if (!this.waiter && !this.discardSink && this.buffered >= this.highWaterMark) this.socket.pause()
  }

  /** Hands the part of `chunk` that belongs to the message being discarded to the sink; returns the rest. */
  private passToSink(chunk: Buffer): Buffer {
    const sink = this.discardSink!
    const count = Math.min(chunk.length, this.undiscarded)
    this.undiscarded -= count
    try {
      sink.onBytes(new Uint8Array(chunk.buffer, chunk.byteOffset, count))
    } catch (error) {
      this.fail(error as Error)
      return chunk.subarray(0, 0)
    }
    if (this.undiscarded > 0) return chunk.subarray(0, 0)
    this.discardSink = undefined
    sink.resolve()
    return chunk.subarray(count)
  }

  private take(): BackendMessage | undefined {
    if (this.undiscarded > 0) {
      if (this.failure) return undefined
      throw new Error('BackendMessageSource: the rest of a truncated message must be discarded first')
    }
    if (this.buffered < headerSize) return undefined
    const head = this.chunks[0]!
    // Read in place when the header lies in one chunk: a view per message only to read five bytes
    // showed in allocation profiles.
    const inPlace = head.length - this.headOffset >= headerSize
    const header = inPlace ? head : this.copy(headerSize, false)
    const at = inPlace ? this.headOffset : 0
    const code = header[at]!
    const length = header.readInt32BE(at + 1)
    if (length < 4) {
      const error = new ReplicationProtocolError(
        `backend message 0x${code.toString(16)} declares length ${length}`,
      )
      this.fail(error)
      throw error
    }
    const bodyLength = length - 4
    if (
      code === BackendCode.copyData &&
      this.copyDataLimit !== undefined &&
      bodyLength > this.copyDataLimit
    ) {
      return this.takeTruncated(code, bodyLength)
    }
    if (bodyLength > this.messageLimit) {
      const error = new BackendMessageDecodeError(
        backendMessageName(code),
        'length',
        0,
        `declares a body of ${bodyLength} bytes, more than the ${this.messageLimit} allowed (maxMessageBytes)`,
      )
      this.fail(error)
      throw error
    }
    const total = 1 + length
    if (this.buffered < total) return undefined
    if (head.length - this.headOffset >= total) {
      // A plain view (not Buffer.subarray, which is slower): one per message on the hot path.
      const body = new Uint8Array(head.buffer, head.byteOffset + this.headOffset + headerSize, bodyLength)
      this.consume(total)
      return { code, body, bodyLength }
    }
    return { code, body: this.copy(total, true).subarray(headerSize), bodyLength }
  }

  /** The head of a CopyData too large to hold, once the head has arrived; the rest waits for discardRest(). */
  private takeTruncated(code: number, bodyLength: number): BackendMessage | undefined {
    const total = headerSize + truncatedHeadBytes
    if (this.buffered < total) return undefined
    // A copy, not a view: a view would keep a whole socket chunk alive as long as the head.
    const body = this.copy(total, true).subarray(headerSize)
    this.undiscarded = bodyLength - truncatedHeadBytes
    return { code, body, bodyLength }
  }

  /** Copies the next `count` bytes out of the chunk list, consuming them if asked. */
  private copy(count: number, consume: boolean): Buffer {
    const out = Buffer.allocUnsafe(count)
    let written = 0
    let chunkIndex = 0
    let offset = this.headOffset
    while (written < count) {
      const chunk = this.chunks[chunkIndex]!
      const take = Math.min(chunk.length - offset, count - written)
      chunk.copy(out, written, offset, offset + take)
      written += take
      chunkIndex++
      offset = 0
    }
    if (consume) this.consume(count)
    return out
  }

  private consume(count: number): void {
    this.buffered -= count
    while (count > 0) {
      const head = this.chunks[0]!
      const available = head.length - this.headOffset
      if (count < available) {
        this.headOffset += count
        return
      }
      count -= available
      this.chunks.shift()
      this.headOffset = 0
    }
  }
}
