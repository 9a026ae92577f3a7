/**
 * docker/smoke's stand-ins for docker/compose.yaml's `postgres`, `kafka` and `consumer`
 * services, where their images (postgres:17, apache/kafka:4.1.0) cannot be pulled. The
 * servers come from @factlib/testing, the same ones every test runs against, on 127.0.0.1.
 *
 *   node dist/compose-services.js serve <file> <password> <database> [setting=value …]
 *       PostgreSQL as compose describes it: superuser `postgres` with <password>, a database
 *       <database>, and compose's server settings on top of the test defaults; and a single-node
 *       Kafka. Writes their addresses, and two free ports for owlpost's health and metrics
 *       servers, as JSON to <file>, then runs until SIGTERM or SIGINT and removes both.
 *   node dist/compose-services.js consume <brokers> <topic> <count> [timeout-ms]
 *       What compose's `consumer` shows: records of <topic> from the beginning, one line
 *       each; exits 0 once <count> arrived, 1 if the timeout passes first.
 */
import { renameSync, writeFileSync } from 'node:fs'
import { freePort, startKafka, startPostgres } from '@factlib/testing'
import postgres from 'postgres'
import { readTopics } from './support/kafka-reader.js'

const say = (line: string) => process.stdout.write(`${line}\n`)

async function serve(file: string, password: string, database: string, settings: string[]): Promise<void> {
  const pg = await startPostgres({
    dedicated: true,
    password,
    settings: Object.fromEntries(settings.map((setting) => setting.split('=', 2) as [string, string])),
  })
  const kafka = await startKafka({ dedicated: true })
  let stopping = false
  const stop = async () => {
    if (stopping) return
    stopping = true
    await Promise.allSettled([kafka.dispose(), pg.dispose()])
    process.exit(0)
  }
  process.once('SIGTERM', stop)
  process.once('SIGINT', stop)
  try {
    const sql = postgres(pg.url, { max: 1, onnotice: () => {} })
    await sql`create database ${sql(database)}`
    await sql.end()
    const details = {
      postgres: `127.0.0.1:${pg.port}`,
      kafka: kafka.brokers.join(','),
      healthPort: await freePort(),
      metricsPort: await freePort(),
    }
    // Written whole and renamed, so the reader never sees half a file.
    writeFileSync(`${file}.partial`, `${JSON.stringify(details)}\n`)
    renameSync(`${file}.partial`, file)
    say(
      `compose-services: PostgreSQL (${pg.backend}) on ${details.postgres}, Kafka (${kafka.backend}) on ${details.kafka}`,
    )
  } catch (error) {
    await stop()
    throw error
  }
  // Stay up until told to stop; the signal handlers dispose of both servers.
  setInterval(() => {}, 1 << 30)
}

async function consume(brokers: string, topic: string, count: number, timeoutMs: number): Promise<boolean> {
  const records = await readTopics(brokers.split(','), [topic], (seen) => seen.length >= count, timeoutMs)
  for (const record of records) {
    const headers = Object.entries(record.headers)
      .map(([name, value]) => `${name}:${value}`)
      .join(',')
    say(`${topic} p${record.partition} key=${record.key} headers=${headers} bytes=${record.value.length}`)
  }
  return records.length >= count
}

async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv
  if (command === 'serve' && args.length >= 3) {
    const [file = '', password = '', database = '', ...settings] = args
    await serve(file, password, database, settings)
    return -1
  }
  if (command === 'consume' && args.length >= 3) {
    const [brokers = '', topic = '', count = '1', timeout = '60000'] = args
    return (await consume(brokers, topic, Number(count), Number(timeout))) ? 0 : 1
  }
  process.stderr.write(
    'usage: compose-services serve <file> <password> <database> [setting=value …] | consume <brokers> <topic> <count> [timeout-ms]\n',
  )
  return 2
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code)
  },
  (error: Error) => {
    process.stderr.write(`compose-services failed: ${error.stack ?? error.message}\n`)
    process.exit(1)
  },
)
