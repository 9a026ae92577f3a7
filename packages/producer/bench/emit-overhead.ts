// Transactions per second of a one-row insert with and without emitting facts, on one pool in
// one run, so the ratios compare like with like on a noisy machine. Not a test: it prints numbers.
//
//   pnpm --filter @factlib/producer bench
//
// Uses FACTLIB_BENCH_DATABASE_URL or FACTLIB_TEST_DATABASE_URL when set, otherwise starts a
// PostgreSQL of its own through @factlib/testing (FACTLIB_BENCH_FSYNC=on for durable commits).
// The scenarios run interleaved in FACTLIB_BENCH_ROUNDS rounds (default 10) of
// FACTLIB_BENCH_SECONDS each (default 1) and the median is reported, so load from other
// processes hits every scenario alike. "insert + select 1" is the price of any extra round trip;
// emitWith folds the fact into the insert's own statement, so it has none.
import { createDatabase, startPostgres } from '@factlib/testing'
import postgres from 'postgres'
import { createProducer } from '../dist/index.js'

const seconds = Number(process.env.FACTLIB_BENCH_SECONDS ?? 1)
const rounds = Number(process.env.FACTLIB_BENCH_ROUNDS ?? 10)
const concurrency = Number(process.env.FACTLIB_BENCH_CONCURRENCY ?? 4)

const explicitUrl = process.env.FACTLIB_BENCH_DATABASE_URL
const fsync = process.env.FACTLIB_BENCH_FSYNC
const server = explicitUrl
  ? undefined
  : await startPostgres(fsync ? { dedicated: true, settings: { fsync, full_page_writes: fsync } } : {})
const url = explicitUrl ?? (await createDatabase(server!, 'bench')).url
const sql = postgres(url, { max: concurrency, onnotice: () => {} })
await sql`create table if not exists bench_orders (id bigserial primary key, customer text not null, total int not null)`

const producer = createProducer({ prefix: 'bench', traceContext: false })
const payload = new Uint8Array(200).fill(0x61)
const fact = (id: number) => ({
  aggregateType: 'order',
  aggregateId: String(id),
  eventType: 'order.placed',
  payload,
})
const tenFacts = (id: number) => Array.from({ length: 10 }, (_, index) => fact(id * 10 + index))

type Transaction = (tx: postgres.TransactionSql, id: number) => Promise<unknown>
const insert = (tx: postgres.TransactionSql, id: number) =>
  tx`insert into bench_orders (customer, total) values (${`c${id}`}, ${id})`

const scenarios: Array<{ name: string; body: Transaction }> = [
  { name: 'insert', body: insert },
  {
    name: 'insert + select 1',
    body: async (tx, id) => {
      await insert(tx, id)
      await tx`select 1`
    },
  },
  {
    name: 'insert + emit(200 B)',
    body: async (tx, id) => {
      await insert(tx, id)
      await producer.emit(tx, fact(id))
    },
  },
  {
    name: 'insert + emitMany(10 x 200 B)',
    body: async (tx, id) => {
      await insert(tx, id)
      await producer.emitMany(tx, tenFacts(id))
    },
  },
  {
    name: 'insert + emit(200 B), pipelined',
    body: (tx, id) => Promise.all([insert(tx, id), producer.emit(tx, fact(id))]),
  },
  {
    name: 'insert + emitWith(200 B), one statement',
    body: (tx, id) => producer.emitWith(tx, fact(id), insert(tx, id)),
  },
  {
    name: 'insert + emitWith(200 B), statement text',
    body: (tx, id) =>
      producer.emitWith(tx, fact(id), {
        text: 'insert into bench_orders (customer, total) values ($1, $2)',
        params: [`c${id}`, id],
      }),
  },
]

interface Measurement {
  txPerSecond: number
  /** CPU of this process (postgres.js and the producer) per transaction, µs. */
  clientCpuMicros: number
}

async function measure(body: Transaction, durationMs: number): Promise<Measurement> {
  let count = 0
  let next = 0
  const deadline = performance.now() + durationMs
  const started = performance.now()
  const cpuBefore = process.cpuUsage()
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        await sql.begin((tx) => body(tx, next++))
        count++
      }
    }),
  )
  const cpu = process.cpuUsage(cpuBefore)
  return {
    txPerSecond: count / ((performance.now() - started) / 1000),
    clientCpuMicros: (cpu.user + cpu.system) / count,
  }
}

for (const scenario of scenarios) await measure(scenario.body, 500) // warm up connections and plans

const totals = new Map(scenarios.map((scenario) => [scenario.name, [] as number[]]))
const clientCpu = new Map(scenarios.map((scenario) => [scenario.name, [] as number[]]))
for (let round = 0; round < rounds; round++) {
  for (const scenario of scenarios) {
    const { txPerSecond, clientCpuMicros } = await measure(scenario.body, seconds * 1000)
    totals.get(scenario.name)!.push(txPerSecond)
    clientCpu.get(scenario.name)!.push(clientCpuMicros)
  }
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!
const baseline = median(totals.get('insert')!)
const [settings] =
  await sql`select version() as version, current_setting('fsync') as fsync, current_setting('synchronous_commit') as sync`
console.log(
  `${settings!.version.split(',')[0]}; fsync=${settings!.fsync} synchronous_commit=${settings!.sync}`,
)
console.log(
  `${concurrency} connections, ${rounds} interleaved rounds x ${seconds}s per scenario, medians; client CPU = this process per transaction`,
)
for (const scenario of scenarios) {
  const rate = median(totals.get(scenario.name)!)
  const overhead = ((baseline / rate - 1) * 100).toFixed(1)
  console.log(
    `${scenario.name.padEnd(40)} ${rate.toFixed(0).padStart(7)} tx/s   ratio ${(rate / baseline).toFixed(3)}   time per tx ${overhead.startsWith('-') ? '' : '+'}${overhead}%   client CPU ${median(clientCpu.get(scenario.name)!).toFixed(0)} µs/tx`,
  )
}

await sql.end()
await server?.dispose()
