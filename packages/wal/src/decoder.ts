// @factlib/wal/decoder: the pgoutput decoder, replication framing and LSN and time helpers. Pure
// computation on Uint8Array: nothing here, in code or in types, needs Node, so it runs (and
// type-checks) in any JavaScript runtime. tsconfig.decoder.json holds it to that.
export { formatLsn, InvalidLsnError, invalidLsn, parseLsn } from './lsn.js'
export { PgoutputDecodeError } from './pgoutput-decode-error.js'
export { PgoutputDecoder } from './pgoutput-decoder.js'
export type * from './pgoutput-messages.js'
export type { OversizedHead } from './pgoutput-oversized.js'
export { dateToPostgresTime, postgresTimeToDate } from './postgres-time.js'
export {
  encodeStandbyStatusUpdate,
  type PrimaryKeepalive,
  parseReplicationFrame,
  type ReplicationFrame,
  type StandbyStatusUpdate,
  type XLogData,
} from './replication-frames.js'
