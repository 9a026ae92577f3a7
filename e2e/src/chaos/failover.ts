import { type PostgresPair, type PostgresService, startPostgresPair, waitFor } from '@factlib/testing'
import postgres from 'postgres'
import type { FaultSchedule } from './faults.js'

/** How long a failover fault waits for the standby to hold a usable copy of owlpost's slot. */
const slotSyncTimeoutMs = 120_000

/**
 * PostgreSQL for `pnpm chaos -- --failover`: a primary with a hot standby (17, so owlpost's
 * failover slot is synchronised), every client given both hosts. `pg` is always the current
 * primary, so the restart faults keep working after a failover.
 */
export interface FailoverPostgres {
  pg: PostgresService
  pair: PostgresPair
  /** Both hosts, read-write: writers, the ledger and owlpost find the primary after each failover. */
  urlFor(database: string): string
  /**
   * Waits until the standby holds a persisted, synchronised copy of `slot` (until then a failover
   * would lose the slot: owlpost's /ready says so, and owlpost would refuse to go on), then
   * SIGKILLs the primary, promotes the standby and builds a new standby.
   */
  failover(database: string, slot: string): Promise<{ promotedMs: number; slotSyncedMs: number }>
}

export async function startFailoverPostgres(): Promise<FailoverPostgres> {
  // Commits wait for the standby: a fact the writers saw commit is never lost by PostgreSQL itself.
  const pair = await startPostgresPair({ synchronousCommit: true })
  if (pair.major < 17) {
    await pair.dispose()
    throw new Error(
      `--failover needs PostgreSQL 17 (failover slots); the tests run ${pair.major} (FACTLIB_TEST_POSTGRES_VERSION). ` +
        'On 15 and 16 owlpost rightly refuses to go on after a failover: see e2e/src/failover.test.ts',
    )
  }
  const pg: PostgresService = {
    get backend() {
      return pair.primary.backend
    },
    get url() {
      return pair.primary.url
    },
    get host() {
      return pair.primary.host
    },
    get port() {
      return pair.primary.port
    },
    get user() {
      return pair.primary.user
    },
    get password() {
      return pair.primary.password
    },
    urlFor: (database, as) => pair.primary.urlFor(database, as),
    stop: (mode) => pair.primary.stop(mode),
    start: () => pair.primary.start(),
    kill: () => pair.primary.kill(),
    dispose: () => pair.dispose(),
  }
  return {
    pg,
    pair,
    urlFor: (database) => pair.multiHostUrl(database),
    failover: async (database, slot) => {
      const begun = Date.now()
      const standby = postgres(pair.standby.urlFor(database), { max: 1, onnotice: () => {} })
      const primary = postgres(pair.primary.urlFor(database), { max: 1, onnotice: () => {} })
      try {
        await waitFor(
          `slot ${slot} synchronised to the standby on ${pair.standby.port}`,
          async () => {
            // The sync worker persists its copy once the slot on the primary moves on; when the
            // writers are done, a message of a prefix owlpost ignores moves the WAL, and owlpost's
            // confirmation with it.
            await primary`select pg_logical_emit_message(false, 'chaos-sync-nudge', '')`
            await pair.hurrySlotSync()
            const rows = await standby`
              select 1 from pg_replication_slots where slot_name = ${slot} and synced and not temporary`
            return rows.length > 0
          },
          slotSyncTimeoutMs,
        )
      } finally {
        await Promise.all([standby.end({ timeout: 1 }), primary.end({ timeout: 1 })])
      }
      const slotSyncedMs = Date.now() - begun
      await pair.failover()
      return { promotedMs: Date.now() - begun - slotSyncedMs, slotSyncedMs }
    },
  }
}

/** The schedule's cycle with a primary failover after each PostgreSQL restart. */
export function withFailovers(schedule: FaultSchedule): FaultSchedule {
  return {
    ...schedule,
    cycle: schedule.cycle.flatMap((fault) =>
      fault.startsWith('restart-postgres') ? [fault, 'failover-postgres' as const] : [fault],
    ),
  }
}
