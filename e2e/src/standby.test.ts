import { afterAll, describe, expect, it } from 'vitest'
import { type OwlpostProcess, startOwlpost } from './support/owlpost-process.js'
import { createScenario } from './support/scenario.js'

describe('a standby owlpost on the same slot', () => {
  const processes: OwlpostProcess[] = []
  let world: Awaited<ReturnType<typeof createScenario>>

  afterAll(async () => {
    await Promise.all(processes.map((process) => process.stop()))
    await world?.sql.end()
  })

  it('waits while the slot is busy and takes over within 10 s after the active one dies', async () => {
    world = await createScenario('standby')
    const active = await startOwlpost(world.owlpostEnv)
    processes.push(active)
    await active.ready()
    const standby = await startOwlpost(world.owlpostEnv)
    processes.push(standby)
    await expect
      .poll(async () => (await standby.readiness()).body.role, { timeout: 20_000, interval: 200 })
      .toBe('standby')
    expect((await standby.readiness()).status).toBe(503)
    expect((await active.readiness()).body.role).toBe('active')

    const killedAt = Date.now()
    await active.kill()
    await standby.ready(10_000)
    const takeoverMs = Date.now() - killedAt
    expect(takeoverMs).toBeLessThan(10_000)
    console.info(`standby took over ${takeoverMs} ms after the active owlpost was killed`)

    const { id, seen } = await world.emitAndRead('job')
    expect(seen).toContain(id)
  })
})
