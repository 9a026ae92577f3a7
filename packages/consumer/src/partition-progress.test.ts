import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { PartitionProgress } from './partition-progress.js'

describe('PartitionProgress', () => {
  it('never lets an offset be committed past a record not yet done, and reaches the last once all are', () => {
    fc.assert(
      fc.property(
        fc
          .integer({ min: 1, max: 60 })
          .chain((size) =>
            fc.tuple(fc.constant(size), fc.shuffledSubarray([...Array(size).keys()], { minLength: size })),
          ),
        fc.nat(1_000),
        ([size, order], start) => {
          const offsets = Array.from({ length: size }, (_, index) => String(start + index * 2))
          const progress = new PartitionProgress(offsets)
          const done = new Set<number>()
          let committed = -1
          for (const position of order) {
            done.add(position)
            const offset = progress.done(offsets[position]!)
            if (offset !== undefined) {
              const upTo = offsets.indexOf(offset)
              expect(upTo).toBeGreaterThan(committed)
              committed = upTo
            }
            // Everything up to what may be committed is done; the next one is not.
            for (let index = 0; index <= committed; index++) expect(done.has(index)).toBe(true)
            if (committed + 1 < size) expect(done.has(committed + 1)).toBe(false)
          }
          expect(progress.complete).toBe(true)
          expect(progress.committable).toBe(offsets.at(-1))
        },
      ),
    )
  })

  it('refuses an offset that is not in the batch', () => {
    expect(() => new PartitionProgress(['1']).done('2')).toThrow(/not in this batch/)
  })
})
