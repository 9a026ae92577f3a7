export { formatLsn, InvalidLsnError, invalidLsn, parseLsn } from './lsn.js'
export { PgoutputDecodeError } from './pgoutput-decode-error.js'
export { PgoutputDecoder } from './pgoutput-decoder.js'
export type * from './pgoutput-messages.js'
export { dateToPostgresTime, postgresTimeToDate } from './postgres-time.js'
export {
  encodeStandbyStatusUpdate,
  type PrimaryKeepalive,
  parseReplicationFrame,
  type ReplicationFrame,
  type StandbyStatusUpdate,
  type XLogData,
} from './replication-frames.js'
