import { topicFor } from '@factlib/core'
import { createProducer } from '@factlib/producer'
import { createDatabase, startKafka, startPostgres, uniqueName } from '@factlib/testing'
import postgres from 'postgres'
import { readTopics } from './kafka-reader.js'

/** One test's world: its own database, prefix, slot and publication on the shared servers. */
export async function createScenario(
  label: string,
  options: { pg?: Awaited<ReturnType<typeof startPostgres>> } = {},
) {
  const pg = options.pg ?? (await startPostgres())
  const kafka = await startKafka()
  const db = await createDatabase(pg, label)
  const sql = postgres(db.url, { max: 10, onnotice: () => {} })
  const prefix = uniqueName(label).replaceAll('_', '-')
  const slot = uniqueName(`${label}_slot`)
  const publication = uniqueName(`${label}_pub`)
  const producer = createProducer({ prefix })
  const owlpostEnv: Record<string, string> = {
    MASTER_DATABASE_URL: db.url,
    KAFKA_BROKERS: kafka.brokers.join(','),
    WAL_PREFIX: prefix,
    REPLICATION_SLOT_NAME: slot,
    PUBLICATION_NAME: publication,
    SRC_SERVICE_NAME: label,
  }
  /** Commits one fact and waits until it can be read from its topic; returns the event ids seen there. */
  const emitAndRead = async (aggregateType: string, timeoutMs = 30_000) => {
    const fact = await sql.begin((tx) =>
      producer.emit(tx, {
        aggregateType,
        aggregateId: `${aggregateType}-1`,
        eventType: `${aggregateType}.happened`,
        payload: utf8('{}'),
      }),
    )
    const records = await readTopics(
      kafka.brokers,
      [topicFor(prefix, aggregateType)],
      (seen) => seen.some((record) => record.headers.event_id === fact.id),
      timeoutMs,
    )
    return { id: fact.id, seen: records.map((record) => record.headers.event_id) }
  }
  return { pg, kafka, db, sql, prefix, slot, publication, producer, owlpostEnv, emitAndRead }
}

export const utf8 = (text: string) => new TextEncoder().encode(text)

/** Per aggregate, the sequence numbers in the order they were read; duplicates removed by fact id. */
export function sequencesByAggregate(facts: { id: string; aggregateId: string; sequence: number }[]) {
  const seen = new Set<string>()
  const byAggregate = new Map<string, number[]>()
  for (const fact of facts) {
    if (seen.has(fact.id)) continue
    seen.add(fact.id)
    const list = byAggregate.get(fact.aggregateId) ?? []
    list.push(fact.sequence)
    byAggregate.set(fact.aggregateId, list)
  }
  return byAggregate
}
