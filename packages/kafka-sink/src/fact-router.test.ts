import { describe, expect, it } from 'vitest'
import { DeadLetterHeaderName, FactRouter } from './fact-router.js'
import { sampleFact } from './test-support/sample-facts.js'
import { topicNameProblem } from './topic-names.js'

describe('FactRouter', () => {
  const routeFact = (fact: Parameters<FactRouter['route']>[0], deadLetterTopic: string) =>
    new FactRouter(() => deadLetterTopic).route(fact)

  it('routes like the Go factlib: <prefix>.<aggregateType>, aggregate id as key, the bytes untouched', () => {
    const { fact, id } = sampleFact({
      prefix: 'shop',
      lsn: 0x1_0000_0010n,
      aggregateType: 'invoice',
      key: 'inv-7',
    })
    const route = routeFact(fact, 'shop.dead-letter')
    expect(route.tag).toBe('topic')
    expect(route.record.topic).toBe('shop.invoice')
    expect(route.record.key?.toString()).toBe('inv-7')
    expect(route.record.value!.buffer).toBe(fact.value.buffer)
    expect(route.record.headers).toEqual({ event_id: id, event_type: 'order.placed', LSN: '1/10' })
  })

  it('dead-letters an envelope that does not decode, with a fixed partition and no key', () => {
    const route = routeFact({ prefix: 'shop', lsn: 0x20n, value: new Uint8Array([0x0a, 0xff]) }, 'shop.dlq')
    expect(route.tag).toBe('dead-letter')
    if (route.tag !== 'dead-letter') return
    expect(route.reason).toMatch(/^envelope does not decode/)
    expect(route.originalTopic).toBeUndefined()
    expect(route.record).toMatchObject({ topic: 'shop.dlq', key: null, partition: 0 })
    expect(route.record.headers[DeadLetterHeaderName.lsn]).toBe('0/20')
    expect(route.record.headers[DeadLetterHeaderName.originalTopic]).toBeUndefined()
  })

  it('dead-letters what the caller says, keeping the fact headers and where it was going', () => {
    const { fact, id } = sampleFact({ prefix: 'shop', lsn: 0x30n, key: 'k' })
    const route = routeFact({ ...fact, deadLetterReason: 'poison' }, 'shop.dead-letter')
    expect(route.tag).toBe('dead-letter')
    expect(route.record.key?.toString()).toBe('k')
    expect(route.record.headers).toMatchObject({
      event_id: id,
      error: 'poison',
      original_topic: 'shop.order',
      LSN: '0/30',
    })
  })

  it('dead-letters a fact whose topic name Kafka would refuse', () => {
    const { fact } = sampleFact({ prefix: 'shop', lsn: 0x40n, key: 'k', aggregateType: 'bad type/ü' })
    const route = routeFact(fact, 'shop.dead-letter')
    expect(route.tag).toBe('dead-letter')
    if (route.tag === 'dead-letter') expect(route.reason).toMatch(/invalid topic name 'shop.bad type\/ü'/)
  })

  it('can leave the value out of a dead-letter record and say why', () => {
    const { fact } = sampleFact({ prefix: 'shop', lsn: 0x50n, key: 'k', payloadBytes: 100 })
    const bare = new FactRouter(() => 'd').withoutValue(
      routeFact({ ...fact, deadLetterReason: 'x' }, 'd').record,
      'too large',
    )
    expect(bare.value).toBeNull()
    expect(bare.headers[DeadLetterHeaderName.valueOmitted]).toBe(`${fact.value.byteLength} bytes: too large`)
  })
})

describe('topicNameProblem', () => {
  it("follows Kafka's rules", () => {
    expect(topicNameProblem('shop.order_v2-x')).toBeUndefined()
    expect(topicNameProblem('')).toBeDefined()
    expect(topicNameProblem('..')).toBeDefined()
    expect(topicNameProblem('a'.repeat(250))).toBeDefined()
    expect(topicNameProblem('a b')).toBeDefined()
  })
})
