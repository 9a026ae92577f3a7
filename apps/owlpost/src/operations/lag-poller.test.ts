import { createDatabase, startPostgres, startSlowProxy } from '@factlib/testing'
import postgres from 'postgres'
import { afterAll, describe, expect, it } from 'vitest'
import { startLagPoller } from './lag-poller.js'
import { createLogger } from './logger.js'
import { createMetrics } from './metrics.js'

const gauge = async (metrics: ReturnType<typeof createMetrics>, name: string) =>
  (await metrics.registry.getSingleMetric(name)?.get())?.values[0]?.value

describe('the lag poller', () => {
  const cleanups: (() => Promise<unknown>)[] = []
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup()
  })

  it('holds one connection and one poll in flight against a slow server, and stops without waiting for it', async () => {
    const pg = await startPostgres()
    const db = await createDatabase(pg, 'lag_slow')
    // Every answer of the server arrives 300 ms late; polls are asked for every 20 ms.
    const proxy = await startSlowProxy({ host: pg.host, port: pg.port }, 300)
    cleanups.push(() => proxy.close())
    const url = new URL(db.url)
    url.hostname = '127.0.0.1'
    url.port = String(proxy.port)
    const metrics = createMetrics()
    const stop = startLagPoller(
      { databaseUrl: url.toString(), slot: 'no_such_slot', publication: 'none', intervalMs: 20 },
      metrics,
      createLogger('silent'),
    )
    await new Promise((resolve) => setTimeout(resolve, 5_000))
    expect(await gauge(metrics, 'owlpost_emit_public_executable')).toBe(1)
    const stopping = performance.now()
    await stop()
    expect(performance.now() - stopping).toBeLessThan(2_000)
    expect(proxy.accepted).toBe(1)
    expect(proxy.mostOpen).toBe(1)
    await expect.poll(() => proxy.open, { timeout: 5_000 }).toBe(0)
  }, 60_000)

  it('reports whether PUBLIC may still emit facts', async () => {
    const pg = await startPostgres()
    const db = await createDatabase(pg, 'lag_revoke')
    // Function privileges belong to each database: revoke in the one owlpost reads.
    const sql = postgres(db.url, { max: 1, onnotice: () => {} })
    cleanups.push(() => sql.end())
    const metrics = createMetrics()
    const stop = startLagPoller(
      { databaseUrl: db.url, slot: 'no_such_slot', publication: 'none', intervalMs: 50 },
      metrics,
      createLogger('silent'),
    )
    cleanups.push(stop)
    await expect.poll(() => gauge(metrics, 'owlpost_emit_public_executable'), { timeout: 10_000 }).toBe(1)
    const overloads = await sql<{ signature: string }[]>`
      select oid::regprocedure::text as signature from pg_proc where proname = 'pg_logical_emit_message'`
    await sql.unsafe(`revoke execute on function ${overloads.map((o) => o.signature).join(', ')} from public`)
    try {
      await expect.poll(() => gauge(metrics, 'owlpost_emit_public_executable'), { timeout: 10_000 }).toBe(0)
    } finally {
      await sql.unsafe(`grant execute on function ${overloads.map((o) => o.signature).join(', ')} to public`)
    }
  }, 60_000)

  it('reports the WAL the slot retains, max_slot_wal_keep_size and the server version', async () => {
    const pg = await startPostgres()
    const db = await createDatabase(pg, 'lag_retained')
    const sql = postgres(db.url, { max: 1, onnotice: () => {} })
    cleanups.push(() => sql.end())
    const slot = `lag_retained_${process.pid}_${Date.now()}`
    await sql`select pg_create_logical_replication_slot(${slot}, 'pgoutput')`
    cleanups.push(() => sql`select pg_drop_replication_slot(${slot})`)
    // About 2 MB of WAL the slot has not confirmed, so keeps.
    await sql`create table filler as select repeat('x', 1000) as text from generate_series(1, 2000)`
    const metrics = createMetrics()
    const stop = startLagPoller(
      { databaseUrl: db.url, slot, publication: 'none', intervalMs: 50 },
      metrics,
      createLogger('silent'),
    )
    cleanups.push(stop)
    await expect
      .poll(() => gauge(metrics, 'owlpost_slot_retained_wal_bytes'), { timeout: 10_000 })
      .toBeGreaterThan(2_000_000)
    const [keepRow] = await sql<{ keep: string }[]>`
      select pg_size_bytes(current_setting('max_slot_wal_keep_size'))::text as keep`
    expect(await gauge(metrics, 'owlpost_slot_wal_keep_size_bytes')).toBe(Number(keepRow?.keep))
    const [versionRow] = await sql<
      { version: string }[]
    >`select current_setting('server_version_num') as version`
    expect(await gauge(metrics, 'owlpost_postgres_server_version_num')).toBe(Number(versionRow?.version))
  }, 60_000)
})
