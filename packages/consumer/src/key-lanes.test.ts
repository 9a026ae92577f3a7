import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { ConcurrencyLimit } from './concurrency-limit.js'
import { lanesByKey, runLanes } from './key-lanes.js'

interface TestRecord {
  key: Buffer | null
  offset: number
  delay: number
}

const records = fc
  .array(fc.tuple(fc.option(fc.integer({ min: 0, max: 5 }), { nil: null }), fc.integer({ min: 0, max: 3 })), {
    maxLength: 80,
  })
  .map((list) =>
    list.map(
      ([key, delay], offset): TestRecord => ({
        key: key === null ? null : Buffer.from(`key-${key}`),
        offset,
        delay,
      }),
    ),
  )
const keyOf = (record: TestRecord) => record.key?.toString() ?? '(none)'
const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe('lanes by key', () => {
  it('keeps each key in log order, runs every record once and never more than the limit at once', async () => {
    await fc.assert(
      fc.asyncProperty(records, fc.integer({ min: 1, max: 4 }), async (batch, size) => {
        const limit = new ConcurrencyLimit(size)
        const finished: TestRecord[] = []
        const running = new Set<string>()
        let most = 0
        await runLanes(
          lanesByKey(batch),
          limit,
          () => false,
          async (record) => {
            expect(running.has(keyOf(record))).toBe(false)
            running.add(keyOf(record))
            most = Math.max(most, limit.held)
            await tick(record.delay)
            running.delete(keyOf(record))
            finished.push(record)
            return true
          },
        )
        expect(most).toBeLessThanOrEqual(size)
        expect([...finished].sort((a, b) => a.offset - b.offset)).toEqual(batch)
        for (const key of new Set(batch.map(keyOf))) {
          const inLog = batch.filter((record) => keyOf(record) === key).map((record) => record.offset)
          expect(finished.filter((record) => keyOf(record) === key).map((record) => record.offset)).toEqual(
            inLog,
          )
        }
      }),
      { numRuns: 60 },
    )
  })

  it('starts nothing once told to stop, and runs nothing of a key after a record it abandoned', async () => {
    await fc.assert(
      fc.asyncProperty(records, fc.nat(80), async (batch, abandonAt) => {
        const started: TestRecord[] = []
        await runLanes(
          lanesByKey(batch),
          new ConcurrencyLimit(3),
          () => false,
          async (record) => {
            started.push(record)
            await tick(record.delay)
            return record.offset !== abandonAt
          },
        )
        const abandoned = batch.find((record) => record.offset === abandonAt)
        if (abandoned) {
          const after = started.filter((r) => keyOf(r) === keyOf(abandoned) && r.offset > abandonAt)
          expect(after).toEqual([])
        }
        let stop = false
        const ran: TestRecord[] = []
        await runLanes(
          lanesByKey(batch),
          new ConcurrencyLimit(2),
          () => stop,
          async (record) => {
            ran.push(record)
            stop = true
            return true
          },
        )
        expect(ran.length).toBeLessThanOrEqual(Math.min(2, batch.length))
      }),
      { numRuns: 60 },
    )
  })
})
