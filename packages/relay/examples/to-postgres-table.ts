// Facts into a table of another PostgreSQL database, idempotent by event id: a redelivery after a
// crash inserts nothing twice. Run it with
//   DATABASE_URL=postgres://… TARGET_URL=postgres://… PREFIX=shop node examples/to-postgres-table.ts
import { fileURLToPath } from 'node:url'
import { readEnvelopeHeader } from '@factlib/core/wire'
import { createRelay, type FactTransaction } from '@factlib/relay'
import postgres from 'postgres'

export const createTable = `create table if not exists received_facts (
  event_id text primary key,
  aggregate_type text not null,
  aggregate_id text not null,
  event_type text not null,
  lsn text not null,
  envelope bytea not null
)`

/** A handler that writes one transaction's facts in one target transaction; it resolves once committed. */
export function toTable(target: postgres.Sql) {
  return async (transaction: FactTransaction) => {
    await target.begin(async (tx) => {
      for (const fact of transaction.facts) {
        const header = readEnvelopeHeader(fact.value)
        // An envelope without an id (the Python client writes none) is keyed by its LSN.
        const id = header.id || `lsn:${fact.lsn.toString(16)}`
        await tx`
          insert into received_facts values (
            ${id}, ${header.aggregateType}, ${header.aggregateId}, ${header.eventType},
            ${fact.lsn.toString(16)}, ${Buffer.from(fact.value)}
          ) on conflict (event_id) do nothing`
      }
    })
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const target = postgres(process.env.TARGET_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres')
  await target.unsafe(createTable)
  const controller = new AbortController()
  process.once('SIGINT', () => controller.abort())
  const relay = createRelay({
    source: {
      connectionString: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
      slot: 'facts_to_table',
      publication: 'facts',
      prefixes: (process.env.PREFIX ?? 'shop').split(','),
    },
    handler: toTable(target),
    // A failed insert is retried (with backoff) until it works: never skipped.
    onHandlerError: 'retry',
  })
  await relay.run(controller.signal)
  await target.end()
}
