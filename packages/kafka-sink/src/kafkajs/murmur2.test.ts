import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { compileFunction } from 'node:vm'
import { describe, expect, it } from 'vitest'
import { murmur2, murmur2OfKey } from './murmur2.js'
import './patches.js'

const require = createRequire(import.meta.url)
const murmur2Path = require.resolve('kafkajs/src/producer/partitioners/default/murmur2.js')

/** kafkajs's own murmur2, compiled afresh from its source (the module cache holds ours). */
function stockMurmur2(): (key: unknown) => number {
  const module = { exports: {} as unknown }
  compileFunction(readFileSync(murmur2Path, 'utf8'), ['module', 'exports', 'require'])(
    module,
    {},
    createRequire(murmur2Path),
  )
  return module.exports as (key: unknown) => number
}

function randomKeys(count: number): Array<Buffer | string | number> {
  let state = 7
  const next = () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0
    return state
  }
  return Array.from({ length: count }, (_, index) => {
    const length = next() % 70
    if (index % 5 === 0) return next() - 2 ** 31
    if (index % 3 === 0) {
      return Array.from({ length }, () => ['a', 'Z', '9', '-', 'é', '€', '𝄞'][next() % 7]).join('')
    }
    return Buffer.from(Array.from({ length }, () => next() & 0xff))
  })
}

describe('murmur2', () => {
  it("matches the Java client's published values", () => {
    const cases: Array<[string, number]> = [
      ['21', -973932308],
      ['foobar', -790332482],
      ['a-little-bit-long-string', -985981536],
      ['a-little-bit-longer-string', -1486304829],
      ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
      ['abc', 479470107],
    ]
    for (const [text, hash] of cases) expect(murmur2(Buffer.from(text)), text).toBe(hash)
  })

  it('hashes every key as kafkajs did', () => {
    const stock = stockMurmur2()
    for (const key of randomKeys(3_000)) expect(murmur2OfKey(key), JSON.stringify(key)).toBe(stock(key))
  })

  it("is the hash of kafkajs's DefaultPartitioner", () => {
    expect(require(murmur2Path)).toBe(murmur2OfKey)
    const { Partitioners } = require('kafkajs') as {
      Partitioners: { DefaultPartitioner: () => (args: unknown) => number }
    }
    const partitioner = Partitioners.DefaultPartitioner()
    const partitionMetadata = Array.from({ length: 6 }, (_, partitionId) => ({ partitionId, leader: 1 }))
    const stock = stockMurmur2()
    for (const key of randomKeys(500)) {
      const expected = (stock(key) & 0x7fffffff) % 6
      expect(partitioner({ topic: 't', partitionMetadata, message: { key } })).toBe(expected)
    }
  })
})
