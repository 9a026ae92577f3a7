import { Counter, Registry } from 'prom-client'
import { describe, expect, it } from 'vitest'
import { tallyPerLabel } from './metrics.js'

describe('tallyPerLabel', () => {
  it('hands the counts of a tick to the counter once the tick is over', async () => {
    const registry = new Registry()
    const counter = new Counter({
      name: 'facts_total',
      help: 'facts',
      labelNames: ['topic'],
      registers: [registry],
    })
    const count = tallyPerLabel(counter)
    for (let n = 0; n < 1_000; n++) count(n % 3 === 0 ? 'shop.order' : 'shop.payment')
    count('shop.order', 5)
    const valuesOf = async () =>
      Object.fromEntries((await counter.get()).values.map((value) => [value.labels.topic, value.value]))
    // counter.get() reads the values at once, before the tick's flush.
    expect(await valuesOf()).toEqual({})
    expect(await valuesOf()).toEqual({ 'shop.order': 339, 'shop.payment': 666 })
    count('shop.payment')
    await Promise.resolve()
    expect(await valuesOf()).toEqual({ 'shop.order': 339, 'shop.payment': 667 })
  })
})
