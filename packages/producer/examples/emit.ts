// Run against a PostgreSQL with wal_level=logical (after `pnpm --filter @factlib/producer build`):
//   DATABASE_URL=postgres://postgres@localhost:5432/postgres node packages/producer/examples/emit.ts
import { createProducer, NotInTransactionError } from '@factlib/producer'
import postgres from 'postgres'

const sql = postgres(process.env.DATABASE_URL ?? 'postgres://postgres@localhost:5432/postgres')
const producer = createProducer({ prefix: 'shop' }) // facts go to Kafka topics shop.<aggregateType>

await sql`create table if not exists orders (id text primary key, total int not null)`
const orderId = `o-${Date.now()}`

// The fact is written to the WAL in the same transaction as the order: both or neither.
const envelope = await sql.begin(async (tx) => {
  await tx`insert into orders (id, total) values (${orderId}, 4200)`
  return producer.emit(tx, {
    aggregateType: 'order',
    aggregateId: orderId,
    eventType: 'order.placed',
    payload: new TextEncoder().encode(JSON.stringify({ total: 4200 })),
    metadata: { source: 'checkout' },
  })
})
console.log('emitted', envelope.id, envelope.createdAt)

// Several facts, one round trip, in order.
await sql.begin(async (tx) => {
  await producer.emitMany(tx, [
    { aggregateType: 'order', aggregateId: orderId, eventType: 'order.paid', payload: new Uint8Array() },
    { aggregateType: 'order', aggregateId: orderId, eventType: 'order.shipped', payload: new Uint8Array() },
  ])
})

// Outside a transaction the fact could escape a rollback, so it is refused.
await producer
  .emit(sql, { aggregateType: 'order', aggregateId: orderId, eventType: 'x', payload: new Uint8Array() })
  .catch((error: unknown) =>
    console.log(error instanceof NotInTransactionError ? 'refused outside a transaction' : error),
  )

await sql.end()
