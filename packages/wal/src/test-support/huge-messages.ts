import { createHash } from 'node:crypto'
import type { Socket } from 'node:net'
import { ByteBuilder, withXid } from './pgoutput-builder.js'

/**
 * The hostile side of the fake walsender: messages as large as PostgreSQL allows (1 GB), written
 * from one reusable chunk so the sender never holds them either, and frames that declare a size
 * they never deliver.
 */

export interface HugeLogicalMessage {
  walStart: bigint
  lsn: bigint
  transactional: boolean
  prefix: string
  contentLength: number
  /** Inside a stream block: the streamed transaction's xid, which precedes the flags. */
  xid?: number
  /** The content is this many bytes of a fixed pattern, repeated. Default 256 KiB. */
  chunkBytes?: number
  /** Destroys the socket after this many content bytes instead of finishing the message. */
  closeAfter?: number
  /** Waits this long after each chunk: a slow server. */
  delayMs?: number
}

export interface SentContent {
  /** SHA-256 of the content as written, lower-case hex. */
  sha256: string
  contentHead: Uint8Array
  bytesWritten: number
}

/** The CopyData, XLogData and Logical Message headers up to the content, with the lengths of the whole. */
export function hugeMessageHeader(message: HugeLogicalMessage): Buffer {
  const pgoutputHeader = withXid(new ByteBuilder().char('M'), message.xid)
    .byte(message.transactional ? 1 : 0)
    .int64(message.lsn)
    .cstring(message.prefix)
    .int32(message.contentLength)
    .build()
  const copyDataLength = 4 + 25 + pgoutputHeader.length + message.contentLength
  return Buffer.from(
    new ByteBuilder()
      .char('d')
      .int32(copyDataLength)
      .char('w')
      .int64(message.walStart)
      .int64(message.walStart)
      .int64(0n)
      .bytes(pgoutputHeader)
      .build(),
  )
}

/** Writes at the socket's pace: waits for 'drain' whenever the socket asks, so nothing piles up here. */
async function write(socket: Socket, bytes: Uint8Array): Promise<void> {
  if (socket.write(bytes)) return
  await new Promise<void>((resolve) => {
    const done = () => {
      socket.off('drain', done)
      socket.off('close', done)
      resolve()
    }
    socket.on('drain', done)
    socket.on('close', done)
  })
}

/** Writes a logical message of `contentLength` bytes, hashing what it writes as it goes. */
export async function writeHugeLogicalMessage(
  socket: Socket,
  message: HugeLogicalMessage,
): Promise<SentContent> {
  const chunk = Buffer.alloc(message.chunkBytes ?? 256 * 1024)
  for (let index = 0; index < chunk.length; index++) chunk[index] = (index * 7 + 3) & 0xff
  const hash = createHash('sha256')
  await write(socket, hugeMessageHeader(message))
  const stopAt = Math.min(message.contentLength, message.closeAfter ?? message.contentLength)
  let written = 0
  while (written < stopAt && !socket.destroyed) {
    const piece = stopAt - written >= chunk.length ? chunk : chunk.subarray(0, stopAt - written)
    hash.update(piece)
    written += piece.length
    await write(socket, piece)
    if (message.delayMs) await new Promise((resolve) => setTimeout(resolve, message.delayMs))
  }
  if (message.closeAfter !== undefined) socket.destroy()
  return {
    sha256: hash.digest('hex'),
    contentHead: new Uint8Array(chunk.subarray(0, Math.min(64, message.contentLength))),
    bytesWritten: written,
  }
}

/** The five-byte header of a backend message that declares `bodyLength` bytes of body. */
export function declaredHeader(code: string, bodyLength: number): Buffer {
  const header = Buffer.alloc(5)
  header[0] = code.charCodeAt(0)
  header.writeInt32BE(bodyLength + 4, 1)
  return header
}
