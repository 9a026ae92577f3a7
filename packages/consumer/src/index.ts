export type { Logger } from '@factlib/wal'
export { type AppliedMarksOptions, defaultMarksTable } from './applied-marks-sql.js'
export { consumeFacts, type FactConsumer } from './consume-facts.js'
export { type ConsumeFactsOptions, prefixPattern } from './consumer-options.js'
export { ConsumerDeadLetterHeaderName } from './dead-letter.js'
export { type DedupeBasis, type DedupeKey, dedupeKeyOf } from './dedupe-key.js'
export { ConsumerConfigError, FactHandlerError, TransactionRolledBackError } from './errors.js'
export type { FactContext, FactHandler, HandlerBuilder, HandlerFunction } from './fact-handlers.js'
export type { FactRecord, FactRecordHeaders } from './fact-record.js'
export type { ApplyOutcome, FactStore } from './fact-store.js'
export { type PgPoolClientLike, type PgPoolLike, pgStore } from './pg/pg-store.js'
export {
  type PostgresJsPool,
  postgresJsStore,
} from './postgres-js/postgres-js-store.js'
export type { ConsumerHooks, RecordOutcome } from './process-record.js'
