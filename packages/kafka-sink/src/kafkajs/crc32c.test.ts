import { randomBytes } from 'node:crypto'
import { createRequire } from 'node:module'
import { describe, expect, it } from 'vitest'
import { crc32c } from './crc32c.js'
import './patches.js'

const require = createRequire(import.meta.url)
const byteAtATime = require('kafkajs/src/protocol/recordBatch/crc32C/crc32C.js') as (bytes: Buffer) => number

describe('crc32c', () => {
  it('gives the standard check value', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283)
    expect(crc32c(new Uint8Array(0))).toBe(0)
  })

  it('agrees with kafkajs on every length around the 8-byte steps', () => {
    for (let length = 0; length < 600; length++) {
      const bytes = randomBytes(length)
      expect(crc32c(bytes), `length ${length}`).toBe(byteAtATime(bytes))
    }
    const large = randomBytes(700_001)
    expect(crc32c(large)).toBe(byteAtATime(large))
  })

  it('is the checksum kafkajs record batches use', () => {
    expect(require('kafkajs/src/protocol/recordBatch/crc32C/index.js')).toBe(crc32c)
  })
})
