import { describe, expect, it } from 'vitest'
import { type Batchable, BatchQueue, maxBatchFacts } from './batch-queue.js'

function item(topic: string, wireSize: number, deadLetter = false): Batchable {
  return {
    record: { topic, key: null, value: null, headers: {} },
    wireSize,
    deadLetter: deadLetter ? { reason: 'poison', originalTopic: undefined } : undefined,
  }
}

const noLimits = {
  limitOf: () => undefined,
  requestBytes: Number.POSITIVE_INFINITY,
  deadLetterAlone: false,
  inspect: (x: Batchable) => x,
}

describe('BatchQueue', () => {
  it('takes items in arrival order, up to the request size', () => {
    const queue = new BatchQueue<Batchable>(0)
    for (let i = 0; i < 5; i++) queue.push(item('t', 300 * 1024), 0)
    expect(queue.take(noLimits)).toHaveLength(2)
    expect(queue.take(noLimits)).toHaveLength(2)
    expect(queue.take(noLimits)).toHaveLength(1)
    expect(queue.size).toBe(0)
  })

  it("keeps one topic's records in a request under 90% of its max.message.bytes", () => {
    const queue = new BatchQueue<Batchable>(0)
    for (let i = 0; i < 4; i++) queue.push(item('small', 400), 0)
    const rules = { ...noLimits, limitOf: (topic: string) => (topic === 'small' ? 800 : undefined) }
    expect(queue.take(rules).map((x) => x.wireSize)).toEqual([400])
  })

  it('sends a dead-letter record alone when told to (halt mode halts on it)', () => {
    const queue = new BatchQueue<Batchable>(0)
    queue.push(item('t', 10), 0)
    queue.push(item('dlq', 10, true), 0)
    queue.push(item('t', 10), 0)
    const rules = { ...noLimits, deadLetterAlone: true }
    expect(queue.take(rules)).toHaveLength(1)
    expect(queue.take(rules)[0]!.deadLetter).toBeDefined()
    expect(queue.take(rules)).toHaveLength(1)
  })

  it('lingers from the oldest item, not when a request is full, and not for what a full request left', () => {
    const queue = new BatchQueue<Batchable>(50)
    expect(queue.lingerLeft(0)).toBe(0)
    queue.push(item('t', 1), 100)
    queue.push(item('t', 1), 120)
    expect(queue.lingerLeft(130)).toBe(20)
    for (let i = 0; i < maxBatchFacts; i++) queue.push(item('t', 1), 130)
    expect(queue.lingerLeft(130)).toBe(0)
    expect(queue.take(noLimits)).toHaveLength(maxBatchFacts)
    expect(queue.lingerLeft(130)).toBeLessThanOrEqual(0)
  })

  it('lets inspect replace an item before it is batched', () => {
    const queue = new BatchQueue<Batchable>(0)
    queue.push(item('t', 10), 0)
    const replaced = item('dlq', 10, true)
    expect(queue.take({ ...noLimits, inspect: () => replaced })).toEqual([replaced])
  })
})
