import { describe, expect, it } from 'vitest'
import type { FactTransaction } from './fact-transaction.js'
import { HandlerFailedError } from './function-handler.js'
import { createRelay } from './relay.js'
import { relayWorld } from './test-support/world.js'

async function activeRelay(
  world: Awaited<ReturnType<typeof relayWorld>>,
  options: Partial<Parameters<typeof createRelay>[0]>,
) {
  const controller = new AbortController()
  const relay = createRelay({
    source: {
      connectionString: world.url,
      slot: world.slot,
      publication: world.publication,
      prefixes: ['shop', 'billing'],
    },
    reconnectMaxBackoffMs: 200,
    ...options,
  })
  const running = relay.run(controller.signal)
  running.catch(() => undefined)
  await expect.poll(() => relay.status().role, { timeout: 20_000 }).toBe('active')
  return { relay, running, stop: () => controller.abort() }
}

describe('createRelay against PostgreSQL', () => {
  it('confirms a transaction spanning two handlers only once both have it', async () => {
    const world = await relayWorld('relay_two')
    const billingDone: Array<() => void> = []
    const shop: FactTransaction[] = []
    const { running, stop } = await activeRelay(world, {
      handlers: {
        shop: async (transaction) => {
          shop.push(transaction)
        },
        billing: (transaction) =>
          new Promise<void>((resolve) => {
            billingDone.push(resolve)
            void transaction
          }),
      },
    })
    const before = await world.currentLsn()
    await world.emit([
      { prefix: 'shop', aggregateId: 'o-1' },
      { prefix: 'billing', aggregateId: 'b-1' },
    ])
    const after = await world.currentLsn()
    await expect.poll(() => billingDone.length, { timeout: 20_000 }).toBe(1)
    expect(shop.map((transaction) => transaction.facts.map((fact) => fact.prefix))).toEqual([['shop']])
    // shop has its part, billing not yet: the slot stays before the transaction.
    await new Promise((resolve) => setTimeout(resolve, 500))
    expect(await world.confirmedLsn()).toBeLessThan(after)
    billingDone[0]!()
    await expect.poll(world.confirmedLsn, { timeout: 5_000 }).toBeGreaterThanOrEqual(after)
    expect(after).toBeGreaterThan(before)
    stop()
    await running
    await world.sql.end()
  })

  it('halts on a failing function handler by default, without confirming past its transaction', async () => {
    const world = await relayWorld('relay_halt')
    const { running } = await activeRelay(world, {
      handler: () => {
        throw new Error('target down')
      },
    })
    const before = await world.confirmedLsn()
    await world.emit([{ prefix: 'shop', aggregateId: 'o-1' }])
    await expect(running).rejects.toBeInstanceOf(HandlerFailedError)
    expect(await world.confirmedLsn()).toBe(before)
    await world.sql.end()
  })

  it('retries a failing function handler on the same transaction when asked, never skipping it', async () => {
    const world = await relayWorld('relay_retry')
    const attempts: string[][] = []
    const { running, stop } = await activeRelay(world, {
      onHandlerError: 'retry',
      handler: (transaction) => {
        attempts.push(transaction.facts.map((fact) => fact.prefix))
        if (attempts.length < 3) throw new Error('not yet')
      },
    })
    await world.emit([{ prefix: 'shop', aggregateId: 'o-1' }])
    const after = await world.currentLsn()
    await expect.poll(world.confirmedLsn, { timeout: 20_000 }).toBeGreaterThanOrEqual(after)
    expect(attempts).toEqual([['shop'], ['shop'], ['shop']])
    stop()
    await running
    await world.sql.end()
  })

  it('confirms the WAL end of an idle slot from keepalives', async () => {
    const world = await relayWorld('relay_idle')
    const { running, stop } = await activeRelay(world, {
      handler: () => {},
      source: {
        connectionString: world.url,
        slot: world.slot,
        publication: world.publication,
        prefixes: ['shop'],
        statusIntervalMs: 200,
      },
    })
    await world.sql`create table noise (n int)`
    await world.sql`insert into noise select generate_series(1, 100)`
    const after = await world.currentLsn()
    // No fact at all: keepalives (asked for by the status updates) carry the position past the noise.
    await expect.poll(world.confirmedLsn, { timeout: 30_000 }).toBeGreaterThanOrEqual(after)
    stop()
    await running
    await world.sql.end()
  })
})
