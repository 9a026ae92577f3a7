import { afterAll, describe, expect, it } from 'vitest'
import { type OwlpostProcess, startOwlpost } from './support/owlpost-process.js'
import { createScenario } from './support/scenario.js'

describe('/health is liveness, not "the port answers"', () => {
  let owlpost: OwlpostProcess | undefined
  let world: Awaited<ReturnType<typeof createScenario>> | undefined

  afterAll(async () => {
    await owlpost?.stop()
    await world?.sql.end()
  })

  it('fails once the process was frozen longer than LIVENESS_MAX_LOOP_STALL_MS, and recovers', async () => {
    world = await createScenario('liveness')
    owlpost = await startOwlpost({ ...world.owlpostEnv, LIVENESS_MAX_LOOP_STALL_MS: '1000' })
    await owlpost.ready()
    const health = async () => {
      const response = await fetch(`http://127.0.0.1:${owlpost!.healthPort}/health`)
      return { status: response.status, text: await response.text() }
    }
    expect(await health()).toEqual({ status: 200, text: 'OK' })
    // A frozen process (a runaway computation, a VM paused) answers nothing; once it runs again,
    // its first answer must still tell the stall.
    owlpost.freeze()
    await new Promise((resolve) => setTimeout(resolve, 2_500))
    owlpost.thaw()
    const after = await health()
    expect(after.status).toBe(503)
    expect(after.text).toMatch(/^Not OK: the event loop was blocked for \d+ ms \(more than 1000\)$/)
    // Facts still flow: the relay itself was not harmed, and the stall is forgotten in time.
    const fact = await world.emitAndRead('order')
    expect(fact.seen).toContain(fact.id)
    await expect.poll(async () => (await health()).status, { timeout: 40_000, interval: 1_000 }).toBe(200)
  }, 120_000)
})
