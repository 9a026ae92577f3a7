import type { AsynchronousMessages } from './asynchronous-messages.js'
import { BufferReader } from './buffer-reader.js'
import { DeliveredTransactions } from './delivered-transactions.js'
import type { Logger } from './logger.js'
import { OversizedContentDigest } from './oversized-content.js'
import type { PgoutputDecoder } from './pgoutput-decoder.js'
import type { PgoutputMessage } from './pgoutput-messages.js'
import { PostgresError } from './postgres-error.js'
import { nowAsPostgresTime } from './postgres-time.js'
import { ReplicationProtocolError, ReplicationSilenceError } from './replication-errors.js'
import {
  encodeStandbyStatusUpdate,
  parseReplicationFrame,
  ReplicationFrameByte,
  type XLogData,
  xlogDataHeaderSize,
} from './replication-frames.js'
import type { BackendMessage, BackendMessageSource } from './wire/backend-message-source.js'
import { parseErrorFields } from './wire/backend-messages.js'
import { copyDataMessage, copyDoneMessage, terminateMessage } from './wire/frontend-messages.js'
import { BackendCode } from './wire/message-codes.js'

export type ReplicationEvent =
  | { tag: 'data'; walStart: bigint; walEnd: bigint; serverTime: bigint; message: PgoutputMessage }
  | { tag: 'keepalive'; walEnd: bigint; serverTime: bigint; replyRequested: boolean }

export interface ReplicationStream extends AsyncIterable<ReplicationEvent> {
  /**
   * Records that everything up to `lsn` is durably processed (for a transaction: its commit's
   * endLsn). Monotonic: a lower value is ignored. Only acknowledged positions are ever confirmed
   * to the server: in the next status update (periodic, on request, on close) or, with
   * `confirmIntervalMs`, in a prompt one soon after the move.
   */
  acknowledge(lsn: bigint): void
  /**
   * For idle slots: acknowledges a keepalive's `walEnd` when the stream has delivered nothing
   * that is still unacknowledged (no open transaction, every delivered commit acknowledged), so an
   * idle slot does not hold WAL back. Returns whether it acknowledged.
   */
  acknowledgeIdle(walEnd: bigint): boolean
  readonly acknowledgedLsn: bigint
  /**
   * The next event if it has already been received, else undefined (then wait with the
   * iterator). Lets a consumer go through a received chunk without a promise per event; it throws
   * what the iterator would reject with for a malformed message.
   */
  read(): ReplicationEvent | undefined
  /** Sends a status update now (flushed = acknowledgedLsn). */
  sendStatusUpdate(replyRequested?: boolean): void
  /** Sends the last status update, CopyDone, then Terminate, and waits for the server to close. */
  close(): Promise<void>
}

export interface ReplicationStreamSettings {
  statusIntervalMs: number
  /** 0: no prompt updates; otherwise the least time between a prompt update and the one before. */
  confirmIntervalMs: number
  silenceTimeoutMs: number
  /** A larger pgoutput message is read past, not held: it arrives as an `oversized` message. */
  maxMessageBytes: number
  logger: Logger
}

/**
 * The CopyBoth phase of START_REPLICATION as an async iterator. Nothing is read from the socket
 * unless the consumer pulls (see BackendMessageSource), while status updates keep going out on a
 * timer so the server does not time the connection out.
 */
export class ReplicationStreamImpl implements ReplicationStream {
  private acknowledged = 0n
  private received = 0n
  private readonly reader = new BufferReader()
  private readonly statusTimer: NodeJS.Timeout
  private readonly silenceTimer: NodeJS.Timeout | undefined
  /** Pending prompt status update after the acknowledged position moved. */
  private confirmTimer: NodeJS.Timeout | undefined
  /** The flushed position of the last status update sent, and when (performance.now()). */
  private sentFlushed = 0n
  private sentAt = Number.NEGATIVE_INFINITY
  private pingedAt = -1
  private closing: Promise<void> | undefined
  private iterator: AsyncIterator<ReplicationEvent> | undefined
  private finished = false
  /** A message read() took but left for next(), which handles everything but CopyData. */
  private held: BackendMessage | undefined
  private readonly delivered = new DeliveredTransactions()

  constructor(
    private readonly source: BackendMessageSource,
    private readonly write: (bytes: Uint8Array) => void,
    private readonly endSocket: () => Promise<void>,
    private readonly decoder: PgoutputDecoder,
    private readonly messages: AsynchronousMessages,
    private readonly settings: ReplicationStreamSettings,
  ) {
    this.statusTimer = setInterval(() => this.sendStatusUpdate(false), settings.statusIntervalMs)
    this.statusTimer.unref()
    if (settings.silenceTimeoutMs > 0) {
      const period = Math.max(10, Math.min(1000, Math.floor(settings.silenceTimeoutMs / 4)))
      this.silenceTimer = setInterval(() => this.checkSilence(), period)
      this.silenceTimer.unref()
    }
  }

  get acknowledgedLsn(): bigint {
    return this.acknowledged
  }

  acknowledge(lsn: bigint): void {
    if (lsn <= this.acknowledged) return
    this.acknowledged = lsn
    if (this.settings.confirmIntervalMs > 0 && !this.confirmTimer && !this.finished) this.scheduleConfirm()
  }

  /**
   * One status update for however many moves come before it, spaced at least confirmIntervalMs
   * from the previous update: prompt on a quiet stream, a bounded rate on a busy one.
   */
  private scheduleConfirm(): void {
    const wait = Math.max(0, this.sentAt + this.settings.confirmIntervalMs - performance.now())
    this.confirmTimer = setTimeout(() => {
      this.confirmTimer = undefined
      if (this.acknowledged > this.sentFlushed && !this.finished) this.sendStatusUpdate(false)
    }, wait)
    this.confirmTimer.unref()
  }

  acknowledgeIdle(walEnd: bigint): boolean {
    const idle = this.delivered.allCoveredBy(this.acknowledged)
    if (idle) this.acknowledge(walEnd)
    return idle
  }

  sendStatusUpdate(replyRequested = false): void {
    if (this.source.failed) return
    // Written may run ahead (received is not confirmed); flushed and applied never do.
    // biome-ignore lint/complexity/useMathMinMax: Math.max does not take bigint
    const written = this.received > this.acknowledged ? this.received : this.acknowledged
    this.sentFlushed = this.acknowledged
    this.sentAt = performance.now()
    const update = encodeStandbyStatusUpdate({
      written,
      flushed: this.acknowledged,
      applied: this.acknowledged,
      clientTime: nowAsPostgresTime(),
      replyRequested,
    })
    this.write(copyDataMessage(update))
  }

  /** Only time spent waiting on the server counts: a consumer that does not pull is not silence. */
  private checkSilence(): void {
    if (!this.source.waiting) return
    const silentFor = performance.now() - this.source.lastActivity
    if (silentFor > this.settings.silenceTimeoutMs) {
      this.source.fail(new ReplicationSilenceError(this.settings.silenceTimeoutMs))
    } else if (silentFor > this.settings.silenceTimeoutMs / 2 && this.pingedAt < this.source.lastActivity) {
      this.pingedAt = performance.now()
      this.settings.logger.debug(
        { silentForMs: Math.round(silentFor) },
        'server silent; asking for a keepalive',
      )
      this.sendStatusUpdate(true)
    }
  }

  /** One consumer: every call returns the same iterator; leaving a for-await loop closes the stream. */
  [Symbol.asyncIterator](): AsyncIterator<ReplicationEvent> {
    this.iterator ??= {
      next: () => this.next(),
      return: async () => {
        await this.close()
        return { done: true, value: undefined }
      },
    }
    return this.iterator
  }

  read(): ReplicationEvent | undefined {
    if (this.finished || this.held) return undefined
    let message: BackendMessage | undefined
    try {
      message = this.source.takeBuffered()
    } catch {
      // The source has failed with that error; next() rejects with it.
      return undefined
    }
    if (!message) return undefined
    // Anything but a whole CopyData (a truncated one must be read past, which waits) is next()'s.
    if (message.code !== BackendCode.copyData || message.body.length < message.bodyLength) {
      this.held = message
      return undefined
    }
    return this.copyDataEvent(message.body)
  }

  private copyDataEvent(body: Uint8Array): ReplicationEvent {
    const frame = parseReplicationFrame(body, this.reader)
    if (frame.tag === 'xlog_data') return this.dataEvent(frame, this.decoder.decode(frame.data))
    if (frame.replyRequested) this.sendStatusUpdate(false)
    return frame
  }

  /** A decoded message received: what the server sent so far and what was delivered move with it. */
  private dataEvent(frame: XLogData, message: PgoutputMessage): ReplicationEvent {
    if (frame.walEnd > this.received) this.received = frame.walEnd
    this.delivered.track(message)
    return {
      tag: 'data',
      walStart: frame.walStart,
      walEnd: frame.walEnd,
      serverTime: frame.serverTime,
      message,
    }
  }

  /**
   * A CopyData larger than maxMessageBytes allows, of which the source kept only the head: the
   * XLogData header and what the decoder reads of the pgoutput message's header. The rest is read
   * past as it arrives, a logical message's content through a digest, and never held.
   */
  private async oversizedEvent(message: BackendMessage): Promise<ReplicationEvent> {
    try {
      const head = message.body
      if (head[0] !== ReplicationFrameByte.xlogData) {
        throw new ReplicationProtocolError(
          `replication frame 0x${head[0]!.toString(16)} of ${message.bodyLength} bytes: only XLogData may exceed maxMessageBytes (${this.settings.maxMessageBytes})`,
        )
      }
      const frame = parseReplicationFrame(head, this.reader)
      if (frame.tag !== 'xlog_data') throw new Error('unreachable: the frame type was checked')
      const byteLength = message.bodyLength - xlogDataHeaderSize
      const { message: oversized, content } = this.decoder.decodeOversized(
        frame.data,
        byteLength,
        this.settings.maxMessageBytes,
      )
      if (content && oversized.logical) {
        const digest = new OversizedContentDigest(content.offset, content.length)
        digest.update(frame.data.subarray(content.offset))
        await this.source.discardRest((bytes) => digest.update(bytes))
        Object.assign(oversized.logical, digest.finish())
      } else {
        await this.source.discardRest(() => {})
      }
      return this.dataEvent(frame, oversized)
    } catch (error) {
      // The rest of the message may be unread: nothing after it can be framed, so the stream ends.
      this.stopTimers()
      this.source.fail(error as Error)
      throw error
    }
  }

  private async next(): Promise<IteratorResult<ReplicationEvent>> {
    while (!this.finished) {
      let message: BackendMessage
      try {
        message = this.held ?? (await this.source.next())
        this.held = undefined
      } catch (error) {
        if (this.closing) break
        this.stopTimers()
        throw error
      }
      switch (message.code) {
        case BackendCode.copyData:
          if (message.body.length < message.bodyLength) {
            return { done: false, value: await this.oversizedEvent(message) }
          }
          return { done: false, value: this.copyDataEvent(message.body) }
        case BackendCode.copyDone:
          // The server ended streaming (e.g. it is shutting down): end the iteration cleanly.
          this.settings.logger.info({}, 'server ended the replication stream')
          await this.close()
          break
        case BackendCode.errorResponse: {
          const error = new PostgresError(parseErrorFields(message.body), 'replication stream')
          this.stopTimers()
          this.source.fail(error)
          throw error
        }
        default: {
          if (this.messages.handle(message)) break
          const error = new ReplicationProtocolError(
            `unexpected backend message 0x${message.code.toString(16)} during replication`,
          )
          this.source.fail(error)
          throw error
        }
      }
    }
    return { done: true, value: undefined }
  }

  private stopTimers(): void {
    clearInterval(this.statusTimer)
    clearTimeout(this.confirmTimer)
    if (this.silenceTimer) clearInterval(this.silenceTimer)
  }

  close(): Promise<void> {
    this.closing ??= this.shutDown()
    return this.closing
  }

  private async shutDown(): Promise<void> {
    this.finished = true
    this.stopTimers()
    if (!this.source.failed) {
      if (this.acknowledged > 0n) this.sendStatusUpdate(false)
      this.write(copyDoneMessage())
      this.write(terminateMessage())
    }
    // Resolves when the server closed, or after the connection's close timeout forced it.
    await this.endSocket()
  }
}
