/**
 * The compose demo's producer: a tiny "shop" that places an order with its fact every
 * second (and, now and then, rolls one back), so `docker compose up` shows facts flowing.
 * DATABASE_URL and WAL_PREFIX come from the environment.
 */
import { createProducer } from '@factlib/producer'
import postgres from 'postgres'

const url = process.env.DATABASE_URL ?? 'postgres://postgres:postgres@localhost:5432/app'
const prefix = process.env.WAL_PREFIX ?? 'shop'
const sql = postgres(url, { max: 2, onnotice: () => {} })
const producer = createProducer({ prefix })
const say = (line: string) => process.stdout.write(`${line}\n`)

// In a container node is PID 1, and PID 1 gets no default signal handlers: without these,
// `docker stop` and `docker compose down` wait out their timeout and then kill.
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    void sql.end({ timeout: 5 }).finally(() => process.exit(0))
  })
}

async function main(): Promise<void> {
  await sql`create table if not exists orders (id text primary key, total numeric not null, created_at timestamptz default now())`
  for (let n = 1; ; n++) {
    const id = `order-${Date.now()}-${n}`
    const total = Math.round(Math.random() * 10_000) / 100
    const rollBack = n % 7 === 0
    try {
      await sql.begin(async (tx) => {
        await tx`insert into orders (id, total) values (${id}, ${total})`
        await producer.emit(tx, {
          aggregateType: 'order',
          aggregateId: id,
          eventType: 'order.placed',
          payload: new TextEncoder().encode(JSON.stringify({ id, total })),
        })
        if (rollBack) throw new Error('declined')
      })
      say(`placed ${id} (${total})`)
    } catch {
      say(`rolled back ${id}: its fact never reaches Kafka`)
    }
    await new Promise((resolve) => setTimeout(resolve, 1_000))
  }
}

main().catch((error: Error) => {
  process.stderr.write(`demo producer failed: ${error.message}\n`)
  process.exit(1)
})
