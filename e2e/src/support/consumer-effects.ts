import type { Sql } from 'postgres'

/** The table the consumer worker applies facts to: one row per application, ids in application order. */
export async function createConsumerEffects(sql: Sql): Promise<void> {
  await sql`create table consumer_effects (
    id bigserial primary key, aggregate_id text not null, sequence int not null,
    event_id text not null, lsn text not null, instance text not null, kafka_offset text not null)`
}

/**
 * Applications per aggregate in the order they happened: the row ids grow with application
 * order, since a key's next fact is attempted only after the previous one committed.
 */
export async function applicationsByAggregate(sql: Sql): Promise<Map<string, number[]>> {
  const rows = await sql<{ aggregate_id: string; sequence: number }[]>`
    select aggregate_id, sequence from consumer_effects order by id`
  const byAggregate = new Map<string, number[]>()
  for (const row of rows) {
    let list = byAggregate.get(row.aggregate_id)
    if (!list) {
      list = []
      byAggregate.set(row.aggregate_id, list)
    }
    list.push(row.sequence)
  }
  return byAggregate
}
