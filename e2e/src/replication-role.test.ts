import { uniqueName } from '@factlib/testing'
import { afterAll, describe, expect, it } from 'vitest'
import { type OwlpostProcess, startOwlpost } from './support/owlpost-process.js'
import { createScenario } from './support/scenario.js'

describe('owlpost under a role with only REPLICATION', () => {
  let owlpost: OwlpostProcess | undefined
  let world: Awaited<ReturnType<typeof createScenario>>

  afterAll(async () => {
    await owlpost?.stop()
    await world?.sql.end()
  })

  it('relays with the publication created beforehand by an administrator', async () => {
    world = await createScenario('role')
    const role = uniqueName('relay_role')
    await world.sql.unsafe(`create role ${role} with login replication password 'relay-pw'`)
    await world.sql.unsafe(`create publication ${world.publication}`)
    const rows = await world.sql<
      { rolsuper: boolean }[]
    >`select rolsuper from pg_roles where rolname = ${role}`
    expect(rows[0]?.rolsuper).toBe(false)

    owlpost = await startOwlpost({
      ...world.owlpostEnv,
      MASTER_DATABASE_URL: world.pg.urlFor(world.db.name, { user: role, password: 'relay-pw' }),
    })
    await owlpost.ready()
    const { id, seen } = await world.emitAndRead('user')
    expect(seen).toContain(id)
    const slots = await world.sql<{ active_pid: number }[]>`
      select active_pid from pg_replication_slots where slot_name = ${world.slot}`
    const owner = await world.sql<{ usename: string }[]>`
      select usename from pg_stat_activity where pid = ${slots[0]!.active_pid}`
    expect(owner[0]?.usename).toBe(role)
  })
})
