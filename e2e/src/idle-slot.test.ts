import { startPostgres } from '@factlib/testing'
import { parseLsn } from '@factlib/wal'
import { afterAll, describe, expect, it } from 'vitest'
import { type OwlpostProcess, startOwlpost } from './support/owlpost-process.js'
import { createScenario } from './support/scenario.js'

describe('a slot with no facts to relay', () => {
  let owlpost: OwlpostProcess | undefined
  let world: Awaited<ReturnType<typeof createScenario>> | undefined
  let pg: Awaited<ReturnType<typeof startPostgres>> | undefined

  afterAll(async () => {
    await owlpost?.stop()
    await world?.sql.end()
    await pg?.dispose()
  })

  it('keeps confirming the server WAL end, so unrelated writes never pin WAL', async () => {
    // A short sender timeout makes the server send keepalives every second or two.
    pg = await startPostgres({ settings: { wal_sender_timeout: '3s' } })
    world = await createScenario('idle', { pg })
    owlpost = await startOwlpost(world.owlpostEnv)
    await owlpost.ready()
    await world.sql`create table noise (id serial primary key, body text)`
    for (let i = 0; i < 50; i++) {
      await world.sql`insert into noise (body) select repeat('x', 1000) from generate_series(1, 100)`
      await world.sql`select pg_logical_emit_message(true, 'someone-else', 'not ours')`
    }
    const target = parseLsn(
      (await world.sql<{ lsn: string }[]>`select pg_current_wal_lsn()::text as lsn`)[0]!.lsn,
    )
    await expect
      .poll(
        async () => {
          const rows = await world!.sql<{ lsn: string }[]>`
            select confirmed_flush_lsn::text as lsn from pg_replication_slots where slot_name = ${world!.slot}`
          return rows[0] ? parseLsn(rows[0].lsn) >= target : false
        },
        { timeout: 30_000, interval: 500 },
      )
      .toBe(true)
  })
})
