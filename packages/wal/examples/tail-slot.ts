import { formatLsn, ReplicationConnection } from '@factlib/wal'

// Needs wal_level=logical and a publication, e.g. `create publication pub for all tables`.
const connection = await ReplicationConnection.connect(
  process.env.DATABASE_URL ?? 'postgres://postgres@localhost:5432/postgres',
)
const slot = process.env.SLOT ?? 'tail_example'
const slots = await connection.query(`select 1 from pg_replication_slots where slot_name = '${slot}'`)
if (slots.rows.length === 0) await connection.createReplicationSlot(slot)

const stream = await connection.startReplication({ slot, publicationNames: ['pub'], messages: true })
process.once('SIGINT', () => void stream.close())

const text = new TextDecoder()
for await (const event of stream) {
  if (event.type === 'keepalive') {
    // Nothing in flight: let an idle slot advance so it does not hold WAL back.
    stream.acknowledgeIdle(event.walEnd)
    continue
  }
  const { message } = event
  switch (message.tag) {
    case 'insert':
    case 'update':
    case 'delete': {
      const row = message.tag === 'delete' ? (message.key ?? message.old ?? []) : message.new
      const values = row.map((value, index) => {
        const column = message.relation.columns[index]?.name
        return `${column}=${value.kind === 'text' ? value.value : `<${value.kind}>`}`
      })
      console.log(
        `${message.tag} ${message.relation.namespace}.${message.relation.name}: ${values.join(' ')}`,
      )
      break
    }
    case 'message':
      console.log(`message ${message.prefix} at ${formatLsn(message.lsn)}: ${text.decode(message.content)}`)
      break
    case 'commit':
      console.log(`commit, end ${formatLsn(message.endLsn)}`)
      // Printed means processed: confirm it, so a restart resumes after this transaction.
      stream.acknowledge(message.endLsn)
      break
  }
}
