import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { formatLsn, InvalidLsnError, parseLsn } from './lsn.js'

describe('LSN text form', () => {
  it('parses what PostgreSQL prints', () => {
    expect(parseLsn('16/B374D848')).toBe(0x16b374d848n)
    expect(parseLsn('0/0')).toBe(0n)
    expect(parseLsn('FFFFFFFF/FFFFFFFF')).toBe(0xffffffffffffffffn)
    expect(parseLsn('0/1932da8')).toBe(0x1932da8n)
  })

  it('formats like PostgreSQL: upper case, no leading zeros', () => {
    expect(formatLsn(0x16b374d848n)).toBe('16/B374D848')
    expect(formatLsn(0n)).toBe('0/0')
    expect(formatLsn(0x100000000n)).toBe('1/0')
  })

  it('formats the same on both sides of 2^53, where it switches from numbers to bigint', () => {
    expect(formatLsn(2n ** 53n - 1n)).toBe('1FFFFF/FFFFFFFF')
    expect(formatLsn(2n ** 53n)).toBe('200000/0')
    expect(formatLsn(2n ** 64n - 1n)).toBe('FFFFFFFF/FFFFFFFF')
  })

  it('round-trips every 64-bit value', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), (lsn) => parseLsn(formatLsn(lsn)) === lsn),
    )
  })

  it('rejects malformed text and out-of-range values', () => {
    for (const bad of ['', '16', '16/', '/1', '1/2/3', 'G/0', '123456789/0', ' 0/0']) {
      expect(() => parseLsn(bad)).toThrow(InvalidLsnError)
    }
    expect(() => formatLsn(-1n)).toThrow(RangeError)
    expect(() => formatLsn(2n ** 64n)).toThrow(RangeError)
  })
})
