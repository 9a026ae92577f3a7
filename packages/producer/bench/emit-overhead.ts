// Transactions per second of a one-row insert with and without emitting facts, on one pool in
// one run, so the ratios compare like with like on a noisy machine. Not a test: it prints numbers.
//
//   pnpm --filter @factlib/producer bench
//
// Runs twice: against a server with PostgreSQL's default durable commits (fsync=on), which is
// what a business transaction meets in production, and with fsync=off, where a commit costs CPU
// only. FACTLIB_BENCH_FSYNC=on or =off runs one of them; FACTLIB_BENCH_DATABASE_URL (or
// FACTLIB_TEST_DATABASE_URL) runs against that server as it is configured instead.
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

const explicitUrl = process.env.FACTLIB_BENCH_DATABASE_URL ?? process.env.FACTLIB_TEST_DATABASE_URL
const fsyncChoice = process.env.FACTLIB_BENCH_FSYNC
if (fsyncChoice !== undefined && fsyncChoice !== 'on' && fsyncChoice !== 'off') {
  throw new Error(`FACTLIB_BENCH_FSYNC must be on or off, got ${JSON.stringify(fsyncChoice)}`)
}
const fsyncSettings: Array<'on' | 'off' | undefined> = explicitUrl
  ? [undefined]
  : fsyncChoice
    ? [fsyncChoice]
    : ['on', 'off']

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

async function measure(sql: postgres.Sql, body: Transaction, durationMs: number): Promise<Measurement> {
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

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!

/** Runs every scenario on one pool against one server and prints the medians. */
async function runAgainst(url: string): Promise<void> {
  const sql = postgres(url, { max: concurrency, onnotice: () => {} })
  await sql`create table if not exists bench_orders (id bigserial primary key, customer text not null, total int not null)`
  for (const scenario of scenarios) await measure(sql, scenario.body, 500) // warm up connections and plans

  const totals = new Map(scenarios.map((scenario) => [scenario.name, [] as number[]]))
  const clientCpu = new Map(scenarios.map((scenario) => [scenario.name, [] as number[]]))
  for (let round = 0; round < rounds; round++) {
    for (const scenario of scenarios) {
      const { txPerSecond, clientCpuMicros } = await measure(sql, scenario.body, seconds * 1000)
      totals.get(scenario.name)!.push(txPerSecond)
      clientCpu.get(scenario.name)!.push(clientCpuMicros)
    }
  }

  const baseline = median(totals.get('insert')!)
  const [settings] =
    await sql`select version() as version, current_setting('fsync') as fsync, current_setting('synchronous_commit') as sync`
  console.log(
    `\n${settings!.version.split(',')[0]}; fsync=${settings!.fsync} synchronous_commit=${settings!.sync}`,
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
}

for (const fsync of fsyncSettings) {
  if (fsync === undefined) {
    await runAgainst(explicitUrl!)
    continue
  }
  // A server of its own per setting: fsync is fixed when the server starts.
  const server = await startPostgres({ dedicated: true, settings: { fsync, full_page_writes: fsync } })
  try {
    await runAgainst((await createDatabase(server, 'bench')).url)
  } finally {
    await server.dispose()
  }
}
