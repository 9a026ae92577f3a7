import { parseLsn } from '@factlib/wal'
import { afterAll, describe, expect, it } from 'vitest'
import { startOwlpost } from './support/owlpost-process.js'
import { createScenario, utf8 } from './support/scenario.js'

describe('owlpost on SIGTERM', () => {
  let world: Awaited<ReturnType<typeof createScenario>>

  afterAll(async () => {
    await world?.sql.end()
  })

  it('drains in-flight facts, confirms them and exits 0', async () => {
    world = await createScenario('shutdown')
    const owlpost = await startOwlpost({ ...world.owlpostEnv, STATUS_INTERVAL_MS: '60000' })
    await owlpost.ready()
    for (let batch = 0; batch < 20; batch++) {
      await world.sql.begin((tx) =>
        world.producer.emitMany(
          tx,
          Array.from({ length: 50 }, (_, i) => ({
            aggregateType: 'tick',
            aggregateId: `t${i % 7}`,
            eventType: 'tick',
            payload: utf8('x'.repeat(200)),
          })),
        ),
      )
    }
    const lastCommit = parseLsn(
      (await world.sql<{ lsn: string }[]>`select pg_current_wal_lsn()::text as lsn`)[0]!.lsn,
    )
    await expect
      .poll(async () => (await owlpost.metrics()).match(/owlpost_facts_read_total\{[^}]*\} (\d+)/)?.[1], {
        timeout: 20_000,
      })
      .toBe('1000')
    // A status interval of a minute means only the shutdown path can have confirmed this far.
    expect(await owlpost.stop()).toBe(0)
    const rows = await world.sql<{ lsn: string }[]>`
      select confirmed_flush_lsn::text as lsn from pg_replication_slots where slot_name = ${world.slot}`
    expect(parseLsn(rows[0]!.lsn)).toBeGreaterThanOrEqual(lastCommit)
    expect(owlpost.output.some((line) => line.includes('"msg":"stopped"'))).toBe(true)
  })
})
