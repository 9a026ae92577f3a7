/**
 * Where a checkpointed handler's durable checkpoint lies (see CheckpointedHandler.resume).
 *
 * `endLsn` is the end LSN of the last whole transaction it holds: the position confirmed to
 * PostgreSQL, and where PostgreSQL resends from. `inside` is set when the handler also holds the
 * first facts of the next transaction (the exactly-once Kafka sink closes a Kafka transaction
 * inside a PostgreSQL transaction too large for one): that transaction is named by its commit LSN
 * (pgoutput's Begin carries it as `finalLsn`, and FactTransaction as `commitLsn`), and `factLsn`
 * is the LSN of the last of its facts the handler holds. Logical messages of one transaction have
 * increasing LSNs, so "at or before `factLsn`" is exactly what it holds of it.
 */
export interface HandlerCheckpoint {
  endLsn: bigint
  inside?: { commitLsn: bigint; factLsn: bigint }
}
