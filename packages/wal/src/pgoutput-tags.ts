/** First byte of each pgoutput message (PostgreSQL's LogicalRepMsgType). */
export const PgoutputTagByte = {
  begin: 0x42, // 'B'
  commit: 0x43, // 'C'
  origin: 0x4f, // 'O'
  relation: 0x52, // 'R'
  type: 0x59, // 'Y'
  insert: 0x49, // 'I'
  update: 0x55, // 'U'
  delete: 0x44, // 'D'
  truncate: 0x54, // 'T'
  message: 0x4d, // 'M'
  streamStart: 0x53, // 'S'
  streamStop: 0x45, // 'E'
  streamCommit: 0x63, // 'c'
  streamAbort: 0x41, // 'A'
  beginPrepare: 0x62, // 'b'
  prepare: 0x50, // 'P'
  commitPrepared: 0x4b, // 'K'
  rollbackPrepared: 0x72, // 'r'
  streamPrepare: 0x70, // 'p'
} as const

/** Markers inside Update and Delete before a TupleData. */
export const TupleMarker = { key: 0x4b /* 'K' */, old: 0x4f /* 'O' */, new: 0x4e /* 'N' */ } as const

/** Kind byte of each TupleData column. */
export const ColumnKind = {
  null: 0x6e, // 'n'
  unchanged: 0x75, // 'u'
  text: 0x74, // 't'
  binary: 0x62, // 'b'
} as const

/** Flag bits of the Truncate options byte. */
export const TruncateOption = { cascade: 1, restartIdentity: 2 } as const

/** Flag bit of a Logical Message meaning it belongs to its transaction. */
export const messageTransactionalFlag = 1

/** Flag bit of a Relation column meaning it is part of the replica identity. */
export const columnKeyFlag = 1
