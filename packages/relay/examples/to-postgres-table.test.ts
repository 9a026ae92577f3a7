import { createDatabase, startPostgres } from '@factlib/testing'
import postgres from 'postgres'
import { expect, it } from 'vitest'
import { createRelay } from '../src/index.js'
import { relayWorld } from '../src/test-support/world.js'
import { createTable, toTable } from './to-postgres-table.js'

it('copies facts into another database, once each even when a transaction is handed twice', async () => {
  const world = await relayWorld('table_example')
  const targetDb = await createDatabase(await startPostgres(), 'table_example_target')
  const target = postgres(targetDb.url, { max: 2, onnotice: () => {} })
  await target.unsafe(createTable)
  const handler = toTable(target)
  const handed: number[] = []
  const controller = new AbortController()
  const relay = createRelay({
    source: {
      connectionString: world.url,
      slot: world.slot,
      publication: world.publication,
      prefixes: ['shop'],
    },
    handler: async (transaction) => {
      handed.push(transaction.facts.length)
      await handler(transaction)
      // A redelivery, as after a crash before the position was confirmed: nothing doubles.
      await handler(transaction)
    },
  })
  const running = relay.run(controller.signal)
  await expect.poll(() => relay.status().role, { timeout: 20_000 }).toBe('active')
  await world.emit([
    { prefix: 'shop', aggregateId: 'o-1' },
    { prefix: 'shop', aggregateId: 'o-2' },
  ])
  await world.emit([{ prefix: 'shop', aggregateId: 'o-3' }])
  const rows = async () =>
    (
      await target<{ aggregate_id: string }[]>`select aggregate_id from received_facts order by aggregate_id`
    ).map((row) => row.aggregate_id)
  await expect.poll(rows, { timeout: 20_000 }).toEqual(['o-1', 'o-2', 'o-3'])
  expect(handed).toEqual([2, 1])
  controller.abort()
  await running
  expect(relay.status().role).toBe('stopped')
  await target.end()
  await world.sql.end()
})
