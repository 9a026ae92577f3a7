import { InvalidLsnError } from '@factlib/wal'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { formatCheckpoint, parseCheckpoint } from './checkpoint-record.js'

const lsn = fc.bigInt({ min: 0n, max: 2n ** 64n - 1n })

describe('the checkpoint record value', () => {
  it('keeps a whole-transaction checkpoint as bare LSN text, which older code reads', () => {
    expect(formatCheckpoint({ endLsn: 0x16_b374d848n })).toBe('16/B374D848')
    expect(parseCheckpoint('16/B374D848')).toEqual({ endLsn: 0x16_b374d848n })
  })

  it('writes a checkpoint inside a transaction with its commit and fact LSNs, and reads it back', () => {
    const checkpoint = { endLsn: 0x100n, inside: { commitLsn: 0x300n, factLsn: 0x2f0n } }
    expect(formatCheckpoint(checkpoint)).toBe('0/100;commit=0/300;fact=0/2F0')
    fc.assert(
      fc.property(lsn, lsn, lsn, (a, b, c) => {
        const [endLsn, factLsn, commitLsn] = [a, b, c].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0))
        if (factLsn === commitLsn) return
        const inside = { endLsn: endLsn!, inside: { commitLsn: commitLsn!, factLsn: factLsn! } }
        expect(parseCheckpoint(formatCheckpoint(inside))).toEqual(inside)
        expect(parseCheckpoint(formatCheckpoint({ endLsn: a }))).toEqual({ endLsn: a })
      }),
    )
  })

  it('refuses anything else, an inside position out of order included', () => {
    for (const text of [
      '',
      'FF',
      '0/100;commit=0/300',
      '0/100;fact=0/2F0;commit=0/300',
      '0/400;commit=0/300;fact=0/2F0',
      '0/100;commit=0/300;fact=0/300',
    ]) {
      expect(() => parseCheckpoint(text), text).toThrow(InvalidLsnError)
    }
  })
})
