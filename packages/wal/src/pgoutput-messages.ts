/**
 * The decoded forms of the pgoutput logical replication messages, protocol versions 1 to 4.
 * Field names follow PostgreSQL's "Logical Replication Message Formats"; LSNs are bigint and
 * timestamps are bigint microseconds since 2000-01-01 UTC (see postgresTimeToDate).
 * `xid` on data messages is present only inside a stream block (protocol v2+ streaming).
 */

/** One column value of a TupleData: null 'n', unchanged TOAST 'u', text 't', binary 'b'. */
export type TupleValue =
  | { readonly tag: 'null' }
  | { readonly tag: 'unchanged' }
  | { readonly tag: 'text'; readonly value: string }
  | { readonly tag: 'binary'; readonly value: Uint8Array }

export type Tuple = TupleValue[]

export interface RelationColumn {
  name: string
  typeOid: number
  typeMod: number
  /** Part of the replica identity (flag bit 1). */
  isKey: boolean
}

/** 'B': a transaction starts; `finalLsn` is the LSN of its commit record. */
export interface BeginMessage {
  tag: 'begin'
  finalLsn: bigint
  commitTime: bigint
  xid: number
}

/** 'C': a transaction committed; `endLsn` is the position to confirm once it is processed. */
export interface CommitMessage {
  tag: 'commit'
  flags: number
  commitLsn: bigint
  endLsn: bigint
  commitTime: bigint
}

/** 'O': the changes that follow came from another node through a replication origin. */
export interface OriginMessage {
  tag: 'origin'
  originLsn: bigint
  name: string
}

/** 'R': a table's shape; sent before its first change in a session and after it changes. */
export interface RelationMessage {
  tag: 'relation'
  xid?: number
  relationId: number
  namespace: string
  name: string
  /** pg_class.relreplident: 'd' default, 'n' nothing, 'f' full, 'i' index. */
  replicaIdentity: string
  columns: RelationColumn[]
}

/** 'Y': a non-builtin data type used by a relation that follows. */
export interface TypeMessage {
  tag: 'type'
  xid?: number
  typeOid: number
  namespace: string
  name: string
}

export interface InsertMessage {
  tag: 'insert'
  xid?: number
  relationId: number
  relation: RelationMessage
  new: Tuple
}

/** 'U': `key` (replica identity columns, 'K') or `old` (whole old row, 'O') when the server sends one. */
export interface UpdateMessage {
  tag: 'update'
  xid?: number
  relationId: number
  relation: RelationMessage
  key?: Tuple
  old?: Tuple
  new: Tuple
}

export interface DeleteMessage {
  tag: 'delete'
  xid?: number
  relationId: number
  relation: RelationMessage
  key?: Tuple
  old?: Tuple
}

export interface TruncateMessage {
  tag: 'truncate'
  xid?: number
  cascade: boolean
  restartIdentity: boolean
  relationIds: number[]
  /** The relations from the cache, in the order of relationIds (undefined for one never described). */
  relations: (RelationMessage | undefined)[]
}

/** 'M': a pg_logical_emit_message(). `content` is a view into the decoded buffer, not a copy. */
export interface LogicalMessage {
  tag: 'message'
  xid?: number
  transactional: boolean
  lsn: bigint
  prefix: string
  content: Uint8Array
}

export interface StreamStartMessage {
  tag: 'stream_start'
  xid: number
  firstSegment: boolean
}

export interface StreamStopMessage {
  tag: 'stream_stop'
}

export interface StreamCommitMessage {
  tag: 'stream_commit'
  xid: number
  flags: number
  commitLsn: bigint
  endLsn: bigint
  commitTime: bigint
}

/** 'A': `abortLsn`/`abortTime` are sent by protocol v4 when streaming = parallel. */
export interface StreamAbortMessage {
  tag: 'stream_abort'
  xid: number
  subXid: number
  abortLsn?: bigint
  abortTime?: bigint
}

export interface BeginPrepareMessage {
  tag: 'begin_prepare'
  prepareLsn: bigint
  endLsn: bigint
  prepareTime: bigint
  xid: number
  gid: string
}

export interface PrepareMessage {
  tag: 'prepare'
  flags: number
  prepareLsn: bigint
  endLsn: bigint
  prepareTime: bigint
  xid: number
  gid: string
}

export interface CommitPreparedMessage {
  tag: 'commit_prepared'
  flags: number
  commitLsn: bigint
  endLsn: bigint
  commitTime: bigint
  xid: number
  gid: string
}

export interface RollbackPreparedMessage {
  tag: 'rollback_prepared'
  flags: number
  prepareEndLsn: bigint
  rollbackEndLsn: bigint
  prepareTime: bigint
  rollbackTime: bigint
  xid: number
  gid: string
}

export interface StreamPrepareMessage {
  tag: 'stream_prepare'
  flags: number
  prepareLsn: bigint
  endLsn: bigint
  prepareTime: bigint
  xid: number
  gid: string
}

/**
 * A message larger than the reader's `maxMessageBytes`. Its body was discarded as it arrived and
 * never held whole: only its header was read, and a logical message's content was hashed on the
 * way past. `type` is the pgoutput type character ('M' for a logical message, 'I' for an insert...).
 */
export interface OversizedMessage {
  tag: 'oversized'
  type: string
  /** Present inside a stream block (protocol v2+ streaming), as on the data messages. */
  xid?: number
  /** The whole pgoutput message's size in bytes, as the server framed it. */
  byteLength: number
  /** The cap it exceeded. */
  maxMessageBytes: number
  /** For a logical message ('M'): what its header says, and a digest of its content. */
  logical?: OversizedLogicalMessage
}

export interface OversizedLogicalMessage {
  transactional: boolean
  lsn: bigint
  /** Undefined when the prefix alone is longer than the bytes read of the message's head. */
  prefix: string | undefined
  contentLength: number
  /** The content's first bytes (at most 64). */
  contentHead: Uint8Array
  /** SHA-256 of the whole content, lower-case hex. */
  contentSha256: string
}

export type PgoutputMessage =
  | OversizedMessage
  | BeginMessage
  | CommitMessage
  | OriginMessage
  | RelationMessage
  | TypeMessage
  | InsertMessage
  | UpdateMessage
  | DeleteMessage
  | TruncateMessage
  | LogicalMessage
  | StreamStartMessage
  | StreamStopMessage
  | StreamCommitMessage
  | StreamAbortMessage
  | BeginPrepareMessage
  | PrepareMessage
  | CommitPreparedMessage
  | RollbackPreparedMessage
  | StreamPrepareMessage

export type PgoutputTag = PgoutputMessage['tag']
