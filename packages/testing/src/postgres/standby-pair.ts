import { execFileSync } from 'node:child_process'
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import postgres from 'postgres'
import type { PostgresService } from '../services.js'
import { waitFor } from '../wait.js'
import { unprivilegedAccount } from './binaries.js'
import { type LocalPostgres, makeServerRoot, serveLocalPostgres, startLocalPostgres } from './local.js'
import type { PostgresOptions } from './settings.js'
import { postgresMajor } from './version.js'

/** The physical slot the primary keeps for its standby, so the WAL the standby needs stays. */
export const standbySlotName = 'factlib_standby'
const standbyName = 'factlib_standby'

export interface PostgresPairOptions extends Pick<PostgresOptions, 'settings'> {
  /**
   * Commits wait until the standby has flushed them (synchronous_standby_names), so a commit
   * the application saw survives the primary's death: the loss a test measures is then the
   * relay's alone.
   */
  synchronousCommit?: boolean
}

/** A primary and its streaming hot standby; on 17 the standby synchronises failover slots. */
export interface PostgresPair {
  /** The current primary (after failover(), the promoted standby). */
  readonly primary: PostgresService
  /** The current standby. */
  readonly standby: PostgresService
  readonly major: number
  /** `postgres://...@<both ports>/<database>?target_session_attrs=read-write`; valid across failover(). */
  multiHostUrl(database: string): string
  /** Promotes the standby and waits until it takes writes. */
  promote(): Promise<void>
  /**
   * Has the primary log a running-transactions record now. The standby's sync worker persists a
   * failover slot only once the primary's copy has moved past it, catalog_xmin included, and
   * catalog_xmin moves with those records, which the background writer logs only every 15 s.
   */
  hurrySlotSync(): Promise<void>
  /**
   * A whole failover, repeatable: SIGKILL the primary, promote the standby, then build a new
   * standby from the new primary on the dead one's port, so multiHostUrl still names both.
   */
  failover(): Promise<void>
  dispose(): Promise<void>
}

async function withSql<T>(url: string, work: (sql: postgres.Sql) => Promise<T>): Promise<T> {
  const sql = postgres(url, { max: 1, connect_timeout: 5, onnotice: () => {} })
  try {
    return await work(sql)
  } finally {
    await sql.end({ timeout: 1 })
  }
}

/**
 * A low-level base backup without pg_basebackup (whose client may be older than the server):
 * pg_backup_start, a copy of the data directory, pg_backup_stop's label written beside it.
 * WAL is left out; the standby streams it through its physical slot.
 */
async function baseBackup(primary: LocalPostgres, target: string): Promise<void> {
  const sql = postgres(primary.url, { max: 1, onnotice: () => {} })
  try {
    const session = await sql.reserve()
    try {
      await session`select pg_backup_start('factlib standby', true)`
      copyDataDir(primary.dataDir, target)
      const [stopped] = await session<{ labelfile: string; spcmapfile: string | null }[]>`
        select labelfile, spcmapfile from pg_backup_stop(false)`
      writeFileSync(join(target, 'backup_label'), stopped!.labelfile)
      if (stopped!.spcmapfile) writeFileSync(join(target, 'tablespace_map'), stopped!.spcmapfile)
    } finally {
      session.release()
    }
  } finally {
    await sql.end({ timeout: 1 })
  }
}

/** cp -a keeps ownership and modes; files the server removes meanwhile are not needed. */
function copyDataDir(source: string, target: string): void {
  try {
    execFileSync('cp', ['-a', source, target], { stdio: 'pipe' })
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString() ?? ''
    const problems = stderr.split('\n').filter((line) => line && !line.includes('No such file or directory'))
    if (problems.length > 0) throw new Error(`copying ${source} to ${target} failed: ${problems.join('; ')}`)
  }
  // What belongs to the running primary, not to a backup of it.
  for (const name of ['postmaster.pid', 'postmaster.opts', 'backup_label.old']) {
    rmSync(join(target, name), { force: true })
  }
  for (const dir of ['pg_wal', 'pg_replslot']) {
    for (const entry of readdirSync(join(target, dir))) {
      if (entry !== 'archive_status') rmSync(join(target, dir, entry), { recursive: true, force: true })
    }
  }
  // The primary's ALTER SYSTEM settings (synchronized_standby_slots, synchronous_standby_names)
  // are its own; the standby sets them only once promoted.
  writeFileSync(join(target, 'postgresql.auto.conf'), '# written by @factlib/testing for a standby\n')
}

/** Settings of a primary that has a standby: set with ALTER SYSTEM, so a promoted standby can take them too. */
async function configurePrimary(primary: LocalPostgres, major: number, options: PostgresPairOptions) {
  await withSql(primary.url, async (sql) => {
    await sql`select pg_create_physical_replication_slot(${standbySlotName}, true)`
    if (major >= 17) await sql.unsafe(`alter system set synchronized_standby_slots = '${standbySlotName}'`)
    if (options.synchronousCommit) {
      await sql.unsafe(`alter system set synchronous_standby_names = '${standbyName}'`)
    }
    await sql`select pg_reload_conf()`
  })
}

/** A standby of `primary` from a base backup, streaming through its physical slot. */
async function startStandby(
  primary: LocalPostgres,
  major: number,
  options: PostgresPairOptions,
  port?: number,
): Promise<LocalPostgres> {
  const root = makeServerRoot()
  const dataDir = join(root, 'data')
  await baseBackup(primary, dataDir)
  const account = unprivilegedAccount()
  writeFileSync(join(dataDir, 'standby.signal'), '')
  mkdirSync(join(dataDir, 'pg_wal', 'archive_status'), { recursive: true })
  if (account) execFileSync('chown', ['-R', `${account.uid}:${account.gid}`, dataDir])
  const standbySettings: Record<string, string> = {
    ...options.settings,
    // Each setting is one argument of its own (no shell), so no quoting.
    primary_conninfo: `host=127.0.0.1 port=${primary.port} user=postgres dbname=postgres application_name=${standbyName}`,
    primary_slot_name: standbySlotName,
    hot_standby: 'on',
    hot_standby_feedback: 'on',
    ...(major >= 17 ? { sync_replication_slots: 'on' } : {}),
  }
  const standby = await serveLocalPostgres(root, { settings: standbySettings }, port)
  await waitFor(
    `standby on port ${standby.port} streaming from the primary on ${primary.port}`,
    () =>
      withSql(primary.url, async (sql) => {
        const rows =
          await sql`select 1 from pg_stat_replication where application_name = ${standbyName} and state = 'streaming'`
        return rows.length > 0
      }),
    60_000,
  )
  return standby
}

async function promote(standby: LocalPostgres): Promise<void> {
  await withSql(standby.url, (sql) => sql`select pg_promote(true, 60)`)
  await waitFor(
    `promoted standby on port ${standby.port} taking writes`,
    () =>
      withSql(standby.url, async (sql) => {
        const [row] = await sql<{ recovering: boolean }[]>`select pg_is_in_recovery() as recovering`
        return !row!.recovering
      }),
    60_000,
  )
}

/**
 * Starts a primary and a hot standby built from a base backup of it, streaming through a
 * physical slot with hot_standby_feedback. On PostgreSQL 17 the standby runs
 * sync_replication_slots, and the primary's synchronized_standby_slots names the standby's
 * slot, so a logical failover slot never runs ahead of the standby. Local backend only.
 */
export async function startPostgresPair(options: PostgresPairOptions = {}): Promise<PostgresPair> {
  const major = postgresMajor()
  let primary = await startLocalPostgres({ settings: { ...options.settings } })
  let standby: LocalPostgres
  try {
    await configurePrimary(primary, major, options)
    standby = await startStandby(primary, major, options)
  } catch (error) {
    await primary.dispose()
    throw error
  }
  const ports = [primary.port, standby.port]
  return {
    get primary() {
      return primary
    },
    get standby() {
      return standby
    },
    major,
    multiHostUrl: (database) =>
      `postgres://postgres@${ports.map((port) => `127.0.0.1:${port}`).join(',')}/${database}?target_session_attrs=read-write`,
    promote: () => promote(standby),
    hurrySlotSync: () =>
      withSql(primary.url, async (sql) => void (await sql`select pg_log_standby_snapshot()`)),
    failover: async () => {
      const dead = primary
      await dead.kill()
      await promote(standby)
      primary = standby
      await dead.dispose()
      await configurePrimary(primary, major, options)
      standby = await startStandby(primary, major, options, dead.port)
    },
    dispose: async () => {
      await Promise.all([standby.dispose(), primary.dispose()])
    },
  }
}
