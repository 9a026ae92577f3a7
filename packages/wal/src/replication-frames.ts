import { BufferReader } from './buffer-reader.js'

/**
 * The payloads of CopyData messages in the streaming replication sub-protocol
 * ("Streaming Replication Protocol", START_REPLICATION). Pure: no I/O.
 */

export const ReplicationFrameByte = {
  xlogData: 0x77, // 'w'
  primaryKeepalive: 0x6b, // 'k'
  standbyStatusUpdate: 0x72, // 'r'
} as const

/** 'w': WAL data; `data` is one pgoutput message (a view into the frame, no copy). */
export interface XLogData {
  walStart: bigint
  walEnd: bigint
  serverTime: bigint
  data: Uint8Array
}

/** 'k': the server's heartbeat; `replyRequested` asks for a status update at once. */
export interface PrimaryKeepalive {
  walEnd: bigint
  serverTime: bigint
  replyRequested: boolean
}

export type ReplicationFrame = ({ tag: 'xlog_data' } & XLogData) | ({ tag: 'keepalive' } & PrimaryKeepalive)

export interface StandbyStatusUpdate {
  /** Last WAL byte + 1 received and written. */
  written: bigint
  /** Last WAL byte + 1 flushed: what the server may recycle and where a restart resumes. */
  flushed: bigint
  /** Last WAL byte + 1 applied. */
  applied: bigint
  /** Client clock, microseconds since 2000-01-01 UTC. */
  clientTime: bigint
  /** Ask the server to answer with a keepalive at once. */
  replyRequested?: boolean
}

const standbyStatusUpdateSize = 34

/** The 'w' byte and three Int64 (walStart, walEnd, serverTime) before the pgoutput message. */
export const xlogDataHeaderSize = 25

/** Parses one CopyData payload of a replication stream. Throws PgoutputDecodeError. */
export function parseReplicationFrame(payload: Uint8Array, reader = new BufferReader()): ReplicationFrame {
  reader.reset(payload, 'replication_frame')
  const type = reader.uint8('type')
  if (type === ReplicationFrameByte.xlogData) {
    reader.messageType = 'xlog_data'
    const walStart = reader.uint64('walStart')
    const walEnd = reader.uint64('walEnd')
    const serverTime = reader.int64('serverTime')
    return {
      tag: 'xlog_data',
      walStart,
      walEnd,
      serverTime,
      data: reader.bytesView(reader.remaining, 'data'),
    }
  }
  if (type === ReplicationFrameByte.primaryKeepalive) {
    reader.messageType = 'keepalive'
    return {
      tag: 'keepalive',
      walEnd: reader.uint64('walEnd'),
      serverTime: reader.int64('serverTime'),
      replyRequested: reader.uint8('replyRequested') === 1,
    }
  }
  return reader.fail('type', `unknown replication frame type 0x${type.toString(16)}`, 0)
}

/** Encodes the 'r' payload a client sends inside CopyData to report its position. */
export function encodeStandbyStatusUpdate(update: StandbyStatusUpdate): Uint8Array {
  const bytes = new Uint8Array(standbyStatusUpdateSize)
  const view = new DataView(bytes.buffer)
  bytes[0] = ReplicationFrameByte.standbyStatusUpdate
  view.setBigUint64(1, update.written)
  view.setBigUint64(9, update.flushed)
  view.setBigUint64(17, update.applied)
  view.setBigInt64(25, update.clientTime)
  bytes[33] = update.replyRequested ? 1 : 0
  return bytes
}
