import { createDatabase, type PostgresService, startPostgres, uniqueName } from '@factlib/testing'
import type { PgoutputMessage } from '../pgoutput-messages.js'
import { ReplicationConnection } from '../replication-connection.js'
import type { ReplicationEvent, ReplicationStream } from '../replication-stream.js'
import { sqlIdentifier, sqlLiteral } from '../sql-text.js'

/**
 * A database of the test's own with a table, a publication and a logical slot. SQL runs over a
 * replication connection too (they accept plain SQL), so the tests need no other driver.
 */
export interface ReplicationFixture {
  server: PostgresService
  url: string
  slot: string
  publication: string
  sql(text: string): Promise<(string | null)[][]>
  dispose(): Promise<void>
}

export async function replicationFixture(
  label: string,
  options: { server?: PostgresService; twoPhase?: boolean } = {},
): Promise<ReplicationFixture> {
  const server = options.server ?? (await startPostgres())
  const database = await createDatabase(server, label)
  const admin = await ReplicationConnection.connect(database.url)
  const slot = uniqueName(`${label}_slot`)
  const publication = 'pub'
  await admin.query('create table items(id int primary key, name text, payload bytea)')
  await admin.query(`create publication ${sqlIdentifier(publication)} for table items`)
  await admin.createReplicationSlot(slot, { twoPhase: options.twoPhase ?? false })
  return {
    server,
    url: database.url,
    slot,
    publication,
    sql: async (text) => (await admin.query(text)).rows,
    dispose: async () => {
      await admin
        .query(
          `select pg_drop_replication_slot(${sqlLiteral(slot)}) from pg_replication_slots where slot_name = ${sqlLiteral(slot)} and not active`,
        )
        .catch(() => {})
      await admin.close()
    },
  }
}

/** Pulls data events until `done` says enough, or fails after `timeoutMs`. */
export async function collect(
  stream: ReplicationStream,
  done: (messages: PgoutputMessage[]) => boolean,
  options: { timeoutMs?: number; acknowledge?: boolean } = {},
): Promise<{ messages: PgoutputMessage[]; events: ReplicationEvent[] }> {
  const messages: PgoutputMessage[] = []
  const events: ReplicationEvent[] = []
  const iterator = stream[Symbol.asyncIterator]()
  const deadline = Date.now() + (options.timeoutMs ?? 30_000)
  while (!done(messages)) {
    if (Date.now() > deadline) throw new Error(`timed out; got ${messages.map((m) => m.tag).join(',')}`)
    const result = await iterator.next()
    if (result.done) break
    events.push(result.value)
    if (result.value.tag === 'data') {
      messages.push(result.value.message)
      const message = result.value.message
      if (options.acknowledge && (message.tag === 'commit' || message.tag === 'stream_commit')) {
        stream.acknowledge(message.endLsn)
      }
    }
  }
  return { messages, events }
}
