// A consumer service as a child process, for the consumer e2e test and the chaos `--consumer`
// form: applies every fact of CONSUMER_EVENT_TYPES (default `item.changed`; payload
// `{ sequence }`) to `consumer_effects` through @factlib/consumer's
// PostgreSQL store, so it can be SIGKILLed at any moment. Prints one JSON line per event worth
// counting (started, a redelivery skipped); the test reads them.
import { consumeFacts, postgresJsStore } from '@factlib/consumer'
import { Kafka, logLevel } from 'kafkajs'
import postgres from 'postgres'

const env = (name: string) => {
  const value = process.env[name]
  if (!value) throw new Error(`consumer worker: ${name} is not set`)
  return value
}

const instance = env('CONSUMER_INSTANCE')
const sql = postgres(env('DATABASE_URL'), { max: 8, onnotice: () => {} })
const kafka = new Kafka({
  brokers: env('KAFKA_BROKERS').split(','),
  clientId: `consumer-${instance}`,
  logLevel: logLevel.NOTHING,
})
const say = (event: Record<string, unknown>) =>
  process.stdout.write(`${JSON.stringify({ instance, ...event })}\n`)
const decoder = new TextDecoder()
const eventTypes = (process.env.CONSUMER_EVENT_TYPES ?? 'item.changed').split(',')

const consumer = await consumeFacts({
  kafka,
  groupId: env('CONSUMER_GROUP'),
  prefix: env('PREFIX'),
  store: postgresJsStore(sql),
  maxInFlight: 6,
  sessionTimeoutMs: 6_000,
  heartbeatIntervalMs: 500,
  handlers: (on) =>
    eventTypes.map((eventType) =>
      on.event(eventType, async ({ envelope, headers, record, tx }) => {
        const { sequence } = JSON.parse(decoder.decode(envelope.payload)) as { sequence: number }
        await tx`insert into consumer_effects (aggregate_id, sequence, event_id, lsn, instance, kafka_offset)
          values (${envelope.aggregateId}, ${sequence}, ${envelope.id}, ${headers.lsn ?? ''}, ${instance}, ${`${record.topic}/${record.partition}@${record.offset}`})`
      }),
    ),
  hooks: {
    alreadyApplied: (record) =>
      say({ event: 'already-applied', partition: record.partition, offset: record.offset }),
    deadLettered: (record, reason) => say({ event: 'dead-lettered', offset: record.offset, reason }),
  },
})
say({ event: 'started' })

const stop = async () => {
  await consumer.stop()
  await sql.end()
  process.exit(0)
}
process.once('SIGTERM', () => void stop())
