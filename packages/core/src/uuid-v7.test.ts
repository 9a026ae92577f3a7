import { describe, expect, it } from 'vitest'
import { isUuidV7, uuidV7, uuidV7Millis } from './uuid-v7.js'

describe('uuidV7', () => {
  it('encodes the millisecond timestamp, version 7 and the RFC 9562 variant', () => {
    const millis = Date.UTC(2030, 0, 1)
    const id = uuidV7(millis)
    expect(isUuidV7(id)).toBe(true)
    expect(id[14]).toBe('7')
    expect('89ab').toContain(id[19])
    expect(uuidV7Millis(id)).toBe(millis)
  })

  it('stays increasing when the clock steps back', () => {
    const first = uuidV7(Date.UTC(2031, 0, 1))
    const second = uuidV7(Date.UTC(2020, 0, 1))
    expect(second > first).toBe(true)
  })

  it('rejects other UUID versions', () => {
    expect(isUuidV7('0190a1b2-c3d4-4e5f-8a9b-0c1d2e3f4a5b')).toBe(false)
    expect(isUuidV7('0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b')).toBe(true)
  })
})
