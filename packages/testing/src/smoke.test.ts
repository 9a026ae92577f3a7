import { Kafka, logLevel } from 'kafkajs'
import postgres from 'postgres'
import { afterAll, describe, expect, it } from 'vitest'
import { createDatabase, startKafka, startPostgres, uniqueName } from './index.js'

describe('test services are real', () => {
  it('PostgreSQL: a transactional logical message comes back through a pgoutput slot', async () => {
    const server = await startPostgres()
    const db = await createDatabase(server, 'smoke')
    const sql = postgres(db.url, { max: 1, onnotice: () => {} })
    afterAll(() => sql.end())
    const slot = uniqueName('smoke_slot')
    await sql`create publication smoke_pub`
    await sql`select pg_create_logical_replication_slot(${slot}, 'pgoutput')`
    await sql.begin((tx) => [tx`select pg_logical_emit_message(true, 'smoke', 'hello'::bytea)`])
    await sql
      .begin((tx) => [
        tx`select pg_logical_emit_message(true, 'smoke', 'rolled back'::bytea)`,
        tx`select 1/0`,
      ])
      .catch(() => undefined)
    const rows = await sql<{ data: Buffer }[]>`
      select data from pg_logical_slot_get_binary_changes(${slot}, null, null,
        'proto_version', '1', 'publication_names', 'smoke_pub', 'messages', 'true')`
    const messages = rows.map((row) => row.data).filter((data) => data[0] === 'M'.charCodeAt(0))
    expect(messages).toHaveLength(1)
    const message = messages[0]!
    expect(message[1]).toBe(1) // transactional flag
    // 'M', flags, lsn (8 bytes), prefix\0, length (4 bytes), content
    const prefixEnd = message.indexOf(0, 10)
    expect(message.subarray(10, prefixEnd).toString()).toBe('smoke')
    expect(message.subarray(prefixEnd + 5).toString()).toBe('hello')
    await sql`select pg_drop_replication_slot(${slot})`
  })

  it('Kafka: a record produced with kafkajs is consumed back', async () => {
    const broker = await startKafka()
    const kafka = new Kafka({ brokers: broker.brokers, logLevel: logLevel.NOTHING })
    const topic = uniqueName('smoke')
    const producer = kafka.producer({ idempotent: true, allowAutoTopicCreation: true })
    await producer.connect()
    await producer.send({ topic, acks: -1, messages: [{ key: 'k', value: 'hello kafka' }] })
    await producer.disconnect()
    const consumer = kafka.consumer({ groupId: uniqueName('smoke_group') })
    await consumer.connect()
    await consumer.subscribe({ topic, fromBeginning: true })
    const received = await new Promise<string>((resolve) => {
      void consumer.run({ eachMessage: async ({ message }) => resolve(String(message.value)) })
    })
    await consumer.disconnect()
    expect(received).toBe('hello kafka')
  })
})
