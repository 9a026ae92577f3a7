import fc from 'fast-check'
import { describe, it } from 'vitest'
import { decodeNeverThrowsAnythingElse, pgoutputInputs } from './test-support/decoder-fuzz.js'

describe('PgoutputDecoder under random and mutated input (short run; `pnpm fuzz` runs 1,000,000)', () => {
  it('throws nothing but PgoutputDecodeError', () => {
    fc.assert(fc.property(pgoutputInputs(), decodeNeverThrowsAnythingElse), { numRuns: 20_000 })
  })
})
