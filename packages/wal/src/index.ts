export {
  ConnectionOptionsError,
  parseConnectionString,
  type ReplicationConnectionOptions,
  type ResolvedConnectionOptions,
  resolveConnectionOptions,
  type SslMode,
} from './connection-options.js'
export type { Logger } from './logger.js'
export { formatLsn, InvalidLsnError, invalidLsn, parseLsn } from './lsn.js'
export { PgoutputDecodeError } from './pgoutput-decode-error.js'
export { PgoutputDecoder } from './pgoutput-decoder.js'
export type * from './pgoutput-messages.js'
export { PostgresError, type PostgresErrorFields } from './postgres-error.js'
export { dateToPostgresTime, postgresTimeToDate } from './postgres-time.js'
export {
  type CreateReplicationSlotResult,
  type IdentifySystemResult,
  type QueryResult,
  ReplicationConnection,
  type StartReplicationOptions,
} from './replication-connection.js'
export {
  AuthenticationError,
  ReplicationConnectionError,
  ReplicationProtocolError,
  ReplicationSilenceError,
  UnsupportedServerVersionError,
} from './replication-errors.js'
export {
  encodeStandbyStatusUpdate,
  type PrimaryKeepalive,
  parseReplicationFrame,
  type ReplicationFrame,
  type StandbyStatusUpdate,
  type XLogData,
} from './replication-frames.js'
export type { ReplicationEvent, ReplicationStream } from './replication-stream.js'
