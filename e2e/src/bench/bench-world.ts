import { topicFor } from '@factlib/core'
import { createProducer, type Producer } from '@factlib/producer'
import {
  createDatabase,
  type KafkaService,
  type PostgresService,
  startKafka,
  startKafkaCluster,
  startPostgres,
} from '@factlib/testing'
import { parseLsn } from '@factlib/wal'
import kafkajs from 'kafkajs'
import postgres, { type Sql } from 'postgres'
import { aggregateTypes } from './fact-workload.js'
import { childPids } from './process-probe.js'

/** Prefixes of the phases: each its own topics, all relayed by one owlpost slot. */
export const prefixes = {
  drain: 'bench-drain',
  steady: 'bench-steady',
  outage: 'bench-outage',
  bare: 'bench-bare',
  /** Apache Kafka's Java producer sending owlpost's records (java-fact-records-limit.ts). */
  javaFacts: 'bench-java-facts',
  probe: 'bench-probe',
}
/** The Java producer limit's one topic (ProducerPerformance writes to a single topic). */
export const javaProducerTopic = 'bench-java'
export const owlpostSlot = 'bench_owlpost'
export const publication = 'bench_facts'

/** PostgreSQL settings of the dedicated server, on top of @factlib/testing's (fsync off etc.). */
export const postgresSettings: Record<string, string> = {
  max_wal_size: '4GB',
  checkpoint_timeout: '30min',
  shared_buffers: '256MB',
}

export interface BenchWorld {
  pg: PostgresService
  kafka: KafkaService
  url: string
  sql: Sql
  producers: Record<'drain' | 'steady' | 'outage' | 'probe', Producer>
  postmasterPid: number | undefined
  /** The broker's JVM (found afresh: a restart makes a new process). */
  readonly kafkaPid: number | undefined
  topics(prefix: string): string[]
  lsnNow(): Promise<bigint>
  slotPid(slot: string): Promise<number | undefined>
  close(): Promise<void>
}

/** Dedicated PostgreSQL and Kafka, so nothing else shares them, with every topic made beforehand. */
export async function createBenchWorld(
  partitions: number,
  kafkaKind: 'single' | 'cluster' = 'single',
): Promise<BenchWorld> {
  const pg = await startPostgres({ dedicated: true, settings: postgresSettings })
  const kafka = kafkaKind === 'cluster' ? await startKafkaCluster() : await startKafka({ dedicated: true })
  const postmasterPid = childPids(process.pid, '-D ').find((pid) => pid > 0)
  const db = await createDatabase(pg, 'bench')
  const sql = postgres(db.url, { max: 24, onnotice: () => {} })
  await sql.unsafe(`create publication ${publication}`)
  const topics = (prefix: string) => aggregateTypes.map((type) => topicFor(prefix, type))
  const admin = new kafkajs.Kafka({ brokers: kafka.brokers, logLevel: kafkajs.logLevel.NOTHING }).admin()
  await admin.connect()
  await admin.createTopics({
    waitForLeaders: true,
    topics: [...Object.values(prefixes).flatMap(topics), javaProducerTopic].map((topic) => ({
      topic,
      numPartitions: partitions,
      replicationFactor: kafkaKind === 'cluster' ? 3 : 1,
      configEntries: [{ name: 'message.timestamp.type', value: 'LogAppendTime' }],
    })),
  })
  await admin.disconnect()
  const producer = (prefix: string) => createProducer({ prefix, traceContext: false })
  return {
    pg,
    kafka,
    url: db.url,
    sql,
    producers: {
      drain: producer(prefixes.drain),
      steady: producer(prefixes.steady),
      outage: producer(prefixes.outage),
      probe: producer(prefixes.probe),
    },
    postmasterPid,
    get kafkaPid() {
      return childPids(process.pid, 'kafka.Kafka')[0]
    },
    topics,
    async lsnNow() {
      const [row] = await sql<{ lsn: string }[]>`select pg_current_wal_lsn()::text as lsn`
      return parseLsn(row!.lsn)
    },
    async slotPid(slot) {
      const [row] = await sql<{ pid: number | null }[]>`
        select active_pid as pid from pg_replication_slots where slot_name = ${slot}`
      return row?.pid ?? undefined
    },
    async close() {
      await sql.end({ timeout: 5 }).catch(() => undefined)
      await kafka.dispose().catch(() => undefined)
      await pg.dispose().catch(() => undefined)
    },
  }
}

/** The environment every owlpost of the bench runs with: all three phases' prefixes on one slot. */
export function owlpostEnvFor(
  world: BenchWorld,
  options: { owlpostNodeOptions?: string; owlpostEnv?: Record<string, string> },
): Record<string, string> {
  return {
    MASTER_DATABASE_URL: world.url,
    KAFKA_BROKERS: world.kafka.brokers.join(','),
    WAL_PREFIX: [prefixes.drain, prefixes.steady, prefixes.outage].join(','),
    REPLICATION_SLOT_NAME: owlpostSlot,
    PUBLICATION_NAME: publication,
    SRC_SERVICE_NAME: 'bench',
    ...(options.owlpostNodeOptions ? { NODE_OPTIONS: options.owlpostNodeOptions } : {}),
    ...options.owlpostEnv,
  }
}
