import type { BufferReader } from './buffer-reader.js'
import type { OversizedMessage } from './pgoutput-messages.js'
import { messageTransactionalFlag, PgoutputTagByte as Tag } from './pgoutput-tags.js'

/**
 * The head of a pgoutput message too large to hold (see maxMessageBytes): what can be read of it
 * without the rest. PgoutputDecoder.decodeOversized() calls this with its own reader and state.
 */

/** The message types that start with the streamed transaction's xid inside a stream block. */
const carriesStreamXid: ReadonlySet<number> = new Set([
  Tag.message,
  Tag.relation,
  Tag.type,
  Tag.insert,
  Tag.update,
  Tag.delete,
  Tag.truncate,
])

const knownTags: ReadonlySet<number> = new Set(Object.values(Tag))

/** What decodeOversized() could read of a message too large to hold, from its head. */
export interface OversizedHead {
  /**
   * For a logical message, `logical` carries the flags, LSN and prefix (when it ends within the
   * head) and the content length (when that is within the head, else 0); contentHead and
   * contentSha256 are left empty for whoever reads the content as it passes to fill in.
   */
  message: OversizedMessage
  /**
   * For a logical message: the offset in the message of the bytes still to read, and the content
   * length. With the length, the offset is where the content starts; without it (undefined), the
   * header did not end within the head and the offset is where the prefix starts, so its NUL and
   * the content length still have to be found in the bytes that follow.
   */
  content?: { offset: number; length: number | undefined }
}

/** `streaming`: whether the decoder is inside a stream block, where an xid precedes the rest. */
export function decodeOversizedHead(
  reader: BufferReader,
  head: Uint8Array,
  byteLength: number,
  maxMessageBytes: number,
  streaming: boolean,
): OversizedHead {
  reader.reset(head, 'oversized')
  if (head.length >= byteLength) {
    reader.fail('head', `the head is ${head.length} bytes of a message of ${byteLength}: not cut short`, 0)
  }
  const tag = reader.uint8('tag')
  if (!knownTags.has(tag)) {
    reader.fail('tag', `unknown message tag 0x${tag.toString(16).padStart(2, '0')}`, 0)
  }
  const message: OversizedMessage = {
    tag: 'oversized',
    type: String.fromCharCode(tag),
    byteLength,
    maxMessageBytes,
  }
  if (!carriesStreamXid.has(tag)) return { message }
  const xid = streaming ? reader.uint32('xid') : undefined
  if (xid !== undefined) message.xid = xid
  if (tag !== Tag.message) return { message }
  reader.messageType = 'message'
  const flags = reader.uint8('flags')
  const lsn = reader.uint64('lsn')
  const prefixOffset = reader.offset
  message.logical = {
    transactional: (flags & messageTransactionalFlag) !== 0,
    lsn,
    prefix: undefined,
    contentLength: 0,
    contentHead: new Uint8Array(0),
    contentSha256: '',
  }
  const rest = { offset: prefixOffset, length: undefined }
  if (head.indexOf(0, prefixOffset) < 0) return { message, content: rest }
  message.logical.prefix = reader.cstring('prefix')
  if (reader.remaining < 4) return { message, content: rest }
  const lengthOffset = reader.offset
  const contentLength = reader.int32('content.length')
  if (contentLength !== byteLength - reader.offset) {
    reader.fail(
      'content.length',
      `declares ${contentLength} byte(s) but ${byteLength - reader.offset} follow in the message`,
      lengthOffset,
    )
  }
  message.logical.contentLength = contentLength
  return { message, content: { offset: reader.offset, length: contentLength } }
}
