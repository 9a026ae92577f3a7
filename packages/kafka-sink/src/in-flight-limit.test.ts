import { describe, expect, it } from 'vitest'
import { InFlightLimit } from './in-flight-limit.js'

describe('InFlightLimit', () => {
  it('admits in the order offered, holding a small offer behind a large waiting one', async () => {
    const limit = new InFlightLimit(10, 1_000)
    await limit.acquire(8, 100)
    const admitted: string[] = []
    const large = limit.acquire(5, 100).then(() => admitted.push('large'))
    const small = limit.acquire(1, 10).then(() => admitted.push('small'))
    await Promise.resolve()
    expect(admitted).toEqual([])
    expect(limit.waiting).toBe(2)
    limit.release(8, 100)
    await Promise.all([large, small])
    expect(admitted).toEqual(['large', 'small'])
    expect(limit.facts).toBe(6)
  })

  it('bounds bytes as well as facts', async () => {
    const limit = new InFlightLimit(100, 1_000)
    await limit.acquire(1, 900)
    let admitted = false
    const next = limit.acquire(1, 200).then(() => {
      admitted = true
    })
    await Promise.resolve()
    expect(admitted).toBe(false)
    limit.release(1, 900)
    await next
    expect(limit.bytes).toBe(200)
  })

  it('admits an offer larger than the limits once nothing else is in flight', async () => {
    const limit = new InFlightLimit(2, 100)
    await limit.acquire(50, 5_000)
    expect(limit.facts).toBe(50)
  })

  it('refuses waiting offers when told to', async () => {
    const limit = new InFlightLimit(1, 100)
    await limit.acquire(1, 1)
    const waiting = limit.acquire(1, 1)
    limit.refuseAll(new Error('closed'))
    await expect(waiting).rejects.toThrow('closed')
  })
})
