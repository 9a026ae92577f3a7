import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { dedupeKeyOf, prefixOf } from './dedupe-key.js'

const uuid = fc.uuid()
const prefix = fc.stringMatching(/^[A-Za-z0-9._-]{1,20}$/)
const aggregateType = fc.stringMatching(/^[a-z][a-z0-9._-]{0,15}$/)
const lsn = fc.bigInt({ min: 1n, max: 0xffff_ffff_ffff_ffffn })
const position = fc.record({ partition: fc.nat(100), offset: fc.bigInt({ min: 0n, max: 2n ** 62n }) })
const lsnText = (value: bigint, upper: boolean, pad: boolean) => {
  const half = (n: bigint) => {
    const text = n.toString(16)
    return (pad ? text.padStart(8, '0') : text)[upper ? 'toUpperCase' : 'toLowerCase']()
  }
  return `${half(value >> 32n)}/${half(value & 0xffff_ffffn)}`
}

describe('dedupeKeyOf', () => {
  it('gives every copy of a fact owlpost writes the same key, wherever it lands', () => {
    fc.assert(
      fc.property(
        fc.option(uuid, { nil: '' }),
        prefix,
        aggregateType,
        lsn,
        position,
        position,
        fc.boolean(),
        fc.boolean(),
        (id, pre, type, at, first, second, upper, pad) => {
          const topic = `${pre}.${type}`
          const copy = (where: { partition: number; offset: bigint }, text: string) =>
            dedupeKeyOf({
              topic,
              partition: where.partition,
              offset: String(where.offset),
              eventId: id,
              aggregateType: type,
              lsn: text,
            })
          const a = copy(first, lsnText(at, upper, pad))
          const b = copy(second, lsnText(at, !upper, !pad))
          expect(a).toEqual(b)
          expect(a.basis).toBe(id ? 'event-id' : 'lsn')
        },
      ),
    )
  })

  it('never gives two different facts one key', () => {
    // A fact is its id, or (prefix, LSN) when it has none: distinct facts must get distinct keys.
    const fact = fc.record({ id: fc.option(uuid, { nil: '' }), prefix, type: aggregateType, lsn })
    fc.assert(
      fc.property(fact, fact, position, (a, b, where) => {
        const sameFact = a.id || b.id ? a.id === b.id : a.prefix === b.prefix && a.lsn === b.lsn
        const keyOf = (f: typeof a) =>
          dedupeKeyOf({
            topic: `${f.prefix}.${f.type}`,
            partition: where.partition,
            offset: String(where.offset),
            eventId: f.id,
            aggregateType: f.type,
            lsn: lsnText(f.lsn, true, false),
          }).key
        expect(keyOf(a) === keyOf(b)).toBe(sameFact)
      }),
    )
  })

  it('falls back to the record position when the record carries neither id nor LSN', () => {
    const key = dedupeKeyOf({
      topic: 't',
      partition: 2,
      offset: '17',
      eventId: '',
      aggregateType: 'x',
      lsn: 'nope',
    })
    expect(key).toEqual({ key: 'offset:t:2:17', basis: 'offset' })
  })

  it('reads the prefix off a topic named <prefix>.<aggregateType>, with dots on either side', () => {
    expect(prefixOf('shop.eu.order.line', 'order.line')).toBe('shop.eu')
    expect(prefixOf('custom-topic', 'order')).toBe('custom-topic')
    expect(prefixOf('.order', 'order')).toBe('.order')
  })
})
