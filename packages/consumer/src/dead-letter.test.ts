import { DeadLetterHeaderName } from '@factlib/kafka-sink'
import { describe, expect, it } from 'vitest'
import { ConsumerDeadLetterHeaderName, deadLetterRecord } from './dead-letter.js'

describe("the consumer's dead letters", () => {
  it("name the reason, origin, LSN and prefix as owlpost's do", () => {
    expect(ConsumerDeadLetterHeaderName.error).toBe(DeadLetterHeaderName.error)
    expect(ConsumerDeadLetterHeaderName.originalTopic).toBe(DeadLetterHeaderName.originalTopic)
    expect(ConsumerDeadLetterHeaderName.lsn).toBe(DeadLetterHeaderName.lsn)
    expect(ConsumerDeadLetterHeaderName.prefix).toBe(DeadLetterHeaderName.prefix)
  })

  it('keep the key, the value and the headers of the record, and add where it was found', () => {
    const record = {
      topic: 'shop.order',
      partition: 2,
      offset: '41',
      key: Buffer.from('o-1'),
      value: Buffer.from([1, 2]),
      headers: { event_id: 'e', LSN: '0/10' },
    }
    expect(deadLetterRecord(record, 'why', 'shop.dead-letter', 'billing', 'shop')).toEqual({
      topic: 'shop.dead-letter',
      key: record.key,
      value: record.value,
      headers: {
        event_id: 'e',
        LSN: '0/10',
        error: 'why',
        original_topic: 'shop.order',
        prefix: 'shop',
        original_partition: '2',
        original_offset: '41',
        consumer_group: 'billing',
      },
    })
  })
})
