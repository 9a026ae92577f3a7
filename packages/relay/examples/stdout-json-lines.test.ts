import { expect, it } from 'vitest'
import { relayWorld } from '../src/test-support/world.js'
import { printFacts } from './stdout-json-lines.js'

it('prints committed facts as JSON lines and confirms them, never a rolled-back one', async () => {
  const world = await relayWorld('stdout_example')
  const lines: string[] = []
  const controller = new AbortController()
  const printing = printFacts({
    connectionString: world.url,
    prefixes: ['shop'],
    slot: world.slot,
    publication: world.publication,
    signal: controller.signal,
    write: (line) => lines.push(line),
  })
  await expect.poll(world.confirmedLsn, { timeout: 20_000 }).toBeGreaterThan(0n)
  await world.emit([
    { prefix: 'shop', aggregateId: 'o-1' },
    { prefix: 'other', aggregateId: 'x' },
  ])
  await world.emit([{ prefix: 'shop', aggregateId: 'o-2' }], true)
  await world.emit([{ prefix: 'shop', aggregateId: 'o-3' }])
  const target = await world.currentLsn()
  await expect.poll(() => lines.length, { timeout: 20_000 }).toBe(2)
  expect(lines.map((line) => JSON.parse(line).fact.aggregateId)).toEqual(['o-1', 'o-3'])
  expect(JSON.parse(lines[0]!)).toMatchObject({ prefix: 'shop', fact: { eventType: 'order.placed' } })
  // done() moves the slot: promptly, not at the 10 s status interval.
  await expect.poll(world.confirmedLsn, { timeout: 5_000 }).toBeGreaterThanOrEqual(target)
  controller.abort()
  await printing
  await world.sql.end()
})
