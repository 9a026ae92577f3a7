/**
 * The one thing the producer needs from a driver: run a parameterised statement on the
 * connection of the caller's transaction. Parameters are `$1`, `$2`, …; byte strings arrive
 * as `Buffer`, integer arrays as `number[]`.
 */
export interface SqlExecutor {
  query(text: string, params: unknown[]): Promise<unknown>
  /**
   * Whether the connection is inside a transaction block, if the executor can tell;
   * `false` makes the producer refuse to emit, `undefined` means unknown.
   */
  inTransaction?(): boolean | undefined
  /** Names the executor in errors, e.g. `pg Client`. */
  readonly description?: string
}
