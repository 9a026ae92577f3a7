/** Server settings every factlib test needs: logical decoding with room for a slot per test of a whole run, and 2PC. */
export const logicalReplicationSettings: Record<string, string> = {
  wal_level: 'logical',
  max_replication_slots: '100',
  max_wal_senders: '50',
  max_prepared_transactions: '10',
  max_connections: '200',
}

export interface PostgresOptions {
  /** Start a server of our own even when FACTLIB_TEST_DATABASE_URL names one (fault tests). */
  dedicated?: boolean
  /** Extra postgresql.conf settings. */
  settings?: Record<string, string>
  /** pg_hba.conf lines placed before the default trust rules (local backend). */
  hba?: string[]
  /** Files written into the data directory before start, owned by the server (certificates). */
  files?: Record<string, string>
  /** Password set on the superuser; with it, `url` carries the password. */
  password?: string
}
