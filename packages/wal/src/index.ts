// @factlib/wal: the decoder (also alone as @factlib/wal/decoder) and the replication client,
// which speaks the PostgreSQL protocol over node:net and node:tls.

export { maxScramIterations } from './auth/scram-sha-256.js'
export { type BackoffSettings, backoffDelay, defaultBackoff, pause } from './backoff.js'
export {
  ConnectionOptionsError,
  parseConnectionString,
  type ReplicationConnectionOptions,
  type RequireAuth,
  type RequireAuthMethod,
  type ResolvedConnectionOptions,
  resolveConnectionOptions,
  type SslMode,
} from './connection-options.js'
export * from './decoder.js'
export { type Logger, silentLogger } from './logger.js'
export { PostgresError, type PostgresErrorFields } from './postgres-error.js'
export type {
  CreateReplicationSlotOptions,
  CreateReplicationSlotResult,
  IdentifySystemResult,
  StartReplicationOptions,
} from './replication-commands.js'
export { defaultMaxMessageBytes } from './replication-commands.js'
export { ReplicationConnection } from './replication-connection.js'
export {
  AuthenticationError,
  type AuthenticationErrorDetails,
  BackendMessageDecodeError,
  ReplicationConnectionError,
  ReplicationProtocolError,
  ReplicationSilenceError,
  UnsupportedServerVersionError,
} from './replication-errors.js'
export type { ReplicationEvent, ReplicationStream } from './replication-stream.js'
export type { QueryResult } from './simple-query.js'
export { sqlIdentifier, sqlLiteral } from './sql-text.js'
