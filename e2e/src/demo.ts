/**
 * `pnpm demo`: the whole relay on this machine. Starts PostgreSQL and Kafka (the test-service
 * backends: local processes here, containers where Docker runs), starts owlpost, commits some
 * orders with their facts (and rolls one back), prints the facts as a Kafka consumer sees them,
 * and shuts everything down.
 */
import { decodeEnvelope, envelopeToJson } from '@factlib/core'
import { createProducer } from '@factlib/producer'
import { createDatabase, startKafka, startPostgres } from '@factlib/testing'
import postgres from 'postgres'
import { readTopics } from './support/kafka-reader.js'
import { startOwlpost } from './support/owlpost-process.js'

const say = (line: string) => process.stdout.write(`${line}\n`)

async function main(): Promise<void> {
  say('demo: starting PostgreSQL and Kafka …')
  const pg = await startPostgres({ dedicated: true })
  const kafka = await startKafka({ dedicated: true })
  say(
    `demo: PostgreSQL (${pg.backend}) on ${pg.host}:${pg.port}, Kafka (${kafka.backend}) on ${kafka.brokers.join(',')}`,
  )
  const db = await createDatabase(pg, 'shop')
  const sql = postgres(db.url, { max: 4, onnotice: () => {} })
  const owlpost = await startOwlpost({
    MASTER_DATABASE_URL: db.url,
    KAFKA_BROKERS: kafka.brokers.join(','),
    WAL_PREFIX: 'shop',
    SRC_SERVICE_NAME: 'demo',
    KAFKA_TOPIC_PARTITIONS: '3',
    LOG_LEVEL: 'warn',
  })
  try {
    await owlpost.ready()
    say('demo: owlpost is relaying (GET /ready answers 200)')

    await sql`create table orders (id text primary key, total numeric not null, status text not null)`
    const producer = createProducer({ prefix: 'shop' })
    const orders = [
      { id: 'order-1', total: 12.5 },
      { id: 'order-2', total: 99.0 },
      { id: 'order-3', total: 7.25 },
    ]
    for (const order of orders) {
      await sql.begin(async (tx) => {
        await tx`insert into orders values (${order.id}, ${order.total}, 'placed')`
        await producer.emit(tx, {
          aggregateType: 'order',
          aggregateId: order.id,
          eventType: 'order.placed',
          payload: new TextEncoder().encode(JSON.stringify(order)),
        })
      })
    }
    await sql.begin(async (tx) => {
      await tx`update orders set status = 'paid' where id = 'order-2'`
      await producer.emitMany(tx, [
        {
          aggregateType: 'order',
          aggregateId: 'order-2',
          eventType: 'order.paid',
          payload: new TextEncoder().encode(JSON.stringify({ id: 'order-2', method: 'card' })),
        },
        {
          aggregateType: 'invoice',
          aggregateId: 'invoice-2',
          eventType: 'invoice.issued',
          payload: new TextEncoder().encode(JSON.stringify({ order: 'order-2', amount: 99.0 })),
        },
      ])
    })
    await sql
      .begin(async (tx) => {
        await tx`insert into orders values ('order-4', 1, 'placed')`
        await producer.emit(tx, {
          aggregateType: 'order',
          aggregateId: 'order-4',
          eventType: 'order.placed',
          payload: new TextEncoder().encode('{"id":"order-4"}'),
        })
        throw new Error('payment declined')
      })
      .catch(() => say('demo: order-4 rolled back (its fact must never reach Kafka)'))
    say('demo: committed 4 transactions with 5 facts; consuming shop.order and shop.invoice …')

    const expected = 5
    const records = await readTopics(
      kafka.brokers,
      ['shop.order', 'shop.invoice'],
      (seen) => seen.length >= expected,
      60_000,
    )
    for (const record of records) {
      const fact = envelopeToJson(decodeEnvelope(record.value), { payload: 'json' })
      say(
        `  ${record.topic} p${record.partition} key=${record.key} ${fact.eventType} lsn=${record.headers.LSN} payload=${JSON.stringify(fact.payload)}`,
      )
    }
    const leaked = records.some((record) => record.key === 'order-4')
    if (records.length !== expected || leaked) {
      throw new Error(
        `expected ${expected} facts and none of order-4, got ${records.length}${leaked ? ' including order-4' : ''}`,
      )
    }
    say(`demo: all ${expected} committed facts arrived, the rolled-back one did not`)
  } finally {
    await owlpost.stop()
    await sql.end()
    await kafka.dispose()
    await pg.dispose()
  }
  say('demo: done')
}

main().then(
  () => process.exit(0),
  (error: Error) => {
    process.stderr.write(`demo failed: ${error.stack ?? error.message}\n`)
    process.exit(1)
  },
)
