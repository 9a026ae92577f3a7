import { describe, expect, it } from 'vitest'
import { lsnText } from './lsn-text.js'

describe('lsnText', () => {
  it('prints LSNs as pg_lsn does, on both sides of 2^53', () => {
    expect(lsnText(0n)).toBe('0/0')
    expect(lsnText(0x16b3748n)).toBe('0/16B3748')
    expect(lsnText(0x1_0000_0000n)).toBe('1/0')
    expect(lsnText(0xabc_ffff_ffffn)).toBe('ABC/FFFFFFFF')
    expect(lsnText(2n ** 53n - 1n)).toBe('1FFFFF/FFFFFFFF')
    expect(lsnText(2n ** 53n)).toBe('200000/0')
    expect(lsnText(2n ** 64n - 1n)).toBe('FFFFFFFF/FFFFFFFF')
  })
})
