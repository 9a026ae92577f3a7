import { defineFact } from '@factlib/core'
import { createDatabase, startKafka, startPostgres, uniqueName, waitFor } from '@factlib/testing'
import { Schema } from 'effect'
import { Kafka, logLevel } from 'kafkajs'
import postgres from 'postgres'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { consumeFacts, type FactConsumer } from './consume-facts.js'
import { postgresJsStore } from './postgres-js/postgres-js-store.js'
import { headersAsText } from './record-headers.js'
import { envelopeOf, owlpostRecord } from './test-support/owlpost-records.js'

const OrderPlaced = defineFact({
  aggregateType: 'order',
  eventType: 'order.placed',
  payload: Schema.Struct({ total: Schema.Number }),
})
const utf8 = (text: string) => new TextEncoder().encode(text)

let sql: postgres.Sql
let kafka: Kafka
let consumer: FactConsumer | undefined

beforeAll(async () => {
  const database = await createDatabase(await startPostgres(), 'consume_facts')
  sql = postgres(database.url, { max: 10, onnotice: () => {} })
  kafka = new Kafka({ brokers: (await startKafka()).brokers, logLevel: logLevel.NOTHING })
  await sql`create table orders (id text, total int, lsn text, seen_at bigserial)`
  await sql`create table notes (aggregate_id text, event_type text)`
})

afterAll(async () => {
  await consumer?.stop()
  await sql?.end()
})

describe('consumeFacts on real Kafka and PostgreSQL', () => {
  it('applies typed and event facts once, redeliveries included, and dead-letters what it cannot read', async () => {
    const prefix = uniqueName('consume').replaceAll('_', '-')
    const admin = kafka.admin()
    await admin.connect()
    await admin.createTopics({
      waitForLeaders: true,
      topics: [
        { topic: `${prefix}.order`, numPartitions: 3 },
        { topic: `${prefix}.note`, numPartitions: 1 },
        { topic: `${prefix}.dead-letter`, numPartitions: 1 },
      ],
    })
    await admin.disconnect()

    const placed = envelopeOf(OrderPlaced.make('o-1', { total: 42 }))
    const badPayload = envelopeOf({
      ...OrderPlaced.make('o-2', { total: 1 }),
      payload: utf8('{"total":"many"}'),
    })
    // Two facts of one transaction from a client that writes no id: told apart by their LSNs.
    const note = (text: string) => ({
      aggregateType: 'note',
      aggregateId: 'n-1',
      eventType: 'note.added',
      payload: utf8(text),
    })
    const idless = [envelopeOf(note('a'), ''), envelopeOf(note('b'), '')]
    const records = [
      owlpostRecord(prefix, placed, 0x100n),
      owlpostRecord(prefix, badPayload, 0x200n),
      owlpostRecord(prefix, idless[0]!, 0x300n),
      owlpostRecord(prefix, idless[1]!, 0x338n),
      // owlpost's at-least-once redelivery: the same facts again, at new offsets.
      owlpostRecord(prefix, placed, 0x100n),
      owlpostRecord(prefix, idless[0]!, 0x300n),
    ]
    const producer = kafka.producer()
    await producer.connect()
    for (const { topic, message } of records) await producer.send({ topic, messages: [message] })
    await producer.send({
      topic: `${prefix}.order`,
      messages: [{ key: 'o-3', value: Buffer.from([0xff, 0x01]) }],
    })
    await producer.disconnect()

    const seenHeaders: Record<string, string>[] = []
    consumer = await consumeFacts({
      kafka,
      groupId: uniqueName('group'),
      prefix,
      store: postgresJsStore(sql),
      sessionTimeoutMs: 6_000,
      heartbeatIntervalMs: 500,
      handlers: (on) => [
        on(OrderPlaced, async ({ fact, headers, tx }) => {
          seenHeaders.push({ ...headers.all })
          await tx`insert into orders (id, total, lsn) values (${fact.aggregateId}, ${fact.payload.total}, ${headers.lsn ?? null})`
        }),
        on.event('note.added', async ({ envelope, tx }) => {
          await tx`insert into notes values (${envelope.aggregateId}, ${new TextDecoder().decode(envelope.payload)})`
        }),
      ],
    })

    const deadLetters: { headers: Record<string, string>; value: Buffer | null }[] = []
    const reader = kafka.consumer({ groupId: uniqueName('dlt-reader') })
    await reader.connect()
    await reader.subscribe({ topic: `${prefix}.dead-letter`, fromBeginning: true })
    await reader.run({
      eachMessage: async ({ message }) => {
        deadLetters.push({ headers: headersAsText(message.headers), value: message.value })
      },
    })
    try {
      await waitFor(
        'facts applied and dead letters written',
        async () => {
          const [counts] =
            await sql`select (select count(*)::int from orders) as orders, (select count(*)::int from notes) as notes`
          return counts?.orders === 1 && counts?.notes === 2 && deadLetters.length === 2
        },
        60_000,
      )
      // Redeliveries come after: give them time to be (not) applied.
      await new Promise((resolve) => setTimeout(resolve, 1_500))
    } finally {
      await reader.disconnect()
    }
    expect(await sql`select id, total, lsn from orders`).toEqual([{ id: 'o-1', total: 42, lsn: '0/100' }])
    expect(
      (await sql`select event_type from notes order by event_type`).map((row) => row.event_type),
    ).toEqual(['a', 'b'])
    expect(seenHeaders[0]?.event_id).toBe(placed.id)
    const reasons = deadLetters.map((letter) => letter.headers.error)
    expect(reasons).toContainEqual(expect.stringMatching(/^envelope does not decode/))
    expect(reasons).toContainEqual(
      expect.stringMatching(/^Payload of order\/order.placed fact .* is invalid: payload.total/),
    )
    for (const letter of deadLetters) {
      expect(letter.headers.original_topic).toBe(`${prefix}.order`)
      expect(letter.headers.original_offset).toMatch(/^\d+$/)
    }
    const schemaLetter = deadLetters.find((letter) => letter.headers.error?.startsWith('Payload'))!
    expect(schemaLetter.headers.LSN).toBe('0/200')
    expect(schemaLetter.headers.prefix).toBe(prefix)
  })
})
