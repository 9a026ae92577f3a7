import postgres from 'postgres'
import { afterAll, describe, expect, it } from 'vitest'
import { startPostgresPair } from './index.js'
import { waitFor } from './wait.js'

describe('a primary with a hot standby', () => {
  it('streams to the standby, carries a failover slot over on 17, and promotes', async () => {
    const pair = await startPostgresPair()
    afterAll(() => pair.dispose())
    const primary = postgres(pair.primary.url, { max: 1, onnotice: () => {} })
    afterAll(() => primary.end())
    await primary`create table written (id int)`
    await primary`insert into written values (1)`
    if (pair.major >= 17) {
      await primary`select pg_create_logical_replication_slot('pair_slot', 'pgoutput', false, false, true)`
    }
    const standby = postgres(pair.standby.url, { max: 1, onnotice: () => {} })
    afterAll(() => standby.end())
    await waitFor(
      'the row on the standby',
      async () => (await standby`select 1 from written`).length > 0,
      30_000,
    )
    if (pair.major >= 17) {
      await waitFor(
        'the failover slot on the standby',
        async () => {
          // The sync worker persists a copy only once the slot on the primary has moved past the
          // position the standby first saw, as a consuming relay's slot does.
          await primary`select pg_logical_emit_message(true, 'pair', 'x')`
          await pair.hurrySlotSync()
          await primary`select pg_replication_slot_advance('pair_slot', pg_current_wal_lsn())`
          const synced = await standby`
            select 1 from pg_replication_slots where slot_name = 'pair_slot' and synced and not temporary`
          return synced.length > 0
        },
        60_000,
      )
    }
    await pair.primary.kill()
    await pair.promote()
    await standby`insert into written values (2)`
    expect((await standby`select count(*)::int as n from written`)[0]!.n).toBe(2)
  }, 180_000)

  it('fails over again and again, the host list naming both servers throughout', async () => {
    const pair = await startPostgresPair({ synchronousCommit: true })
    afterAll(() => pair.dispose())
    const sql = postgres(pair.multiHostUrl('postgres'), { max: 1, onnotice: () => {}, connect_timeout: 5 })
    afterAll(() => sql.end())
    await sql`create table written (id int)`
    for (const id of [1, 2, 3]) {
      await sql`insert into written values (${id})`
      const primaryPort = pair.primary.port
      await pair.failover()
      expect(pair.primary.port).not.toBe(primaryPort)
      expect(pair.standby.port).toBe(primaryPort)
    }
    await waitFor(
      'a connection to the third primary',
      async () => {
        await sql`insert into written values (4)`
        return true
      },
      30_000,
    )
    expect((await sql`select count(*)::int as n from written`)[0]!.n).toBe(4)
  }, 180_000)
})
