export type { FactEnvelope, FactInput, TraceInfo } from '@factlib/core'
export type { EmitFailureType, EmitMetrics } from './emit-metrics.js'
export {
  EmitDatabaseError,
  InvalidFactError,
  InvalidPrefixError,
  NotInTransactionError,
  PayloadTooLargeError,
  UnfoldableStatementError,
} from './errors.js'
export type { Logger } from './logger.js'
export { type PgClientLike, pgExecutor } from './pg-executor.js'
export type { PostgresJsQuery, PostgresJsSql } from './postgres-js-executor.js'
export { MAX_PREFIX_LENGTH } from './prefix.js'
export {
  createProducer,
  DEFAULT_MAX_PAYLOAD_BYTES,
  type FoldableStatement,
  type Producer,
  type ProducerOptions,
} from './producer.js'
export type { TransactionLike } from './resolve-executor.js'
export type { SqlExecutor } from './sql-executor.js'
