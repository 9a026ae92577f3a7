/** Whether the handler ran, or the fact had been applied before and was skipped. */
export type ApplyOutcome = 'applied' | 'already-applied'

/**
 * Where a consumer keeps what it applied. `applyOnce` runs the handler in a transaction that
 * also marks the fact as applied, so the effect and the mark commit together or not at all.
 * `@factlib/consumer` ships `postgresJsStore` and `pgStore`; `Tx` is what the handler gets.
 */
export interface FactStore<Tx> {
  /** Names the store in logs, e.g. `postgres.js factlib_consumer_applied`. */
  readonly description: string
  /** Creates the marks table and its index when missing; safe to run from many consumers at once. */
  prepare(): Promise<void>
  /**
   * In one transaction: marks `key` applied for `consumerGroup`, and unless it was marked
   * already, runs `apply`. A mark held by another transaction still open is waited for: if that
   * commits the fact is `already-applied`, if it rolls back this one applies it.
   */
  applyOnce(consumerGroup: string, key: string, apply: (tx: Tx) => Promise<void>): Promise<ApplyOutcome>
  /** Deletes up to `limit` of the group's marks older than `olderThanMs`; returns how many. */
  prune(consumerGroup: string, olderThanMs: number, limit: number): Promise<number>
}
