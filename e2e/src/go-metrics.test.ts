import { randomBytes } from 'node:crypto'
import { deadLetterTopicFor, topicFor } from '@factlib/core'
import { waitFor } from '@factlib/testing'
import { Kafka, logLevel } from 'kafkajs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readTopics } from './support/kafka-reader.js'
import { type OwlpostProcess, startOwlpost } from './support/owlpost-process.js'
import { createScenario, utf8 } from './support/scenario.js'

// The Go owlpost's dashboards and alerts read these names (pkg/metrics/metrics.go); each must be
// served with the Go type and label names, with samples for what happened.

interface Sample {
  name: string
  labels: Record<string, string>
  value: number
}

/** The Prometheus text format: `# TYPE` lines and `name{label="value",…} number` samples. */
function parseExposition(text: string): { types: Map<string, string>; samples: Sample[] } {
  const types = new Map<string, string>()
  const samples: Sample[] = []
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) (\S+)$/.exec(line)
    if (type) types.set(type[1]!, type[2]!)
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line)
    if (!sample) continue
    const labels: Record<string, string> = {}
    for (const [, name, value] of sample[2]?.matchAll(/([a-zA-Z_]\w*)="((?:[^"\\]|\\.)*)"/g) ?? []) {
      labels[name!] = value!
    }
    samples.push({ name: sample[1]!, labels, value: Number(sample[3]) })
  }
  return { types, samples }
}

const goMetrics = {
  factlib_events_consumed_total: { type: 'counter', labels: ['aggregate_type', 'event_type'] },
  factlib_event_handler_success_total: { type: 'counter', labels: ['aggregate_type', 'event_type'] },
  factlib_event_handler_failures_total: {
    type: 'counter',
    labels: ['aggregate_type', 'event_type', 'error_type'],
  },
  factlib_event_handler_latency_seconds: { type: 'histogram', labels: ['aggregate_type', 'event_type'] },
  factlib_kafka_produce_success_total: { type: 'counter', labels: ['topic'] },
  factlib_kafka_produce_failures_total: { type: 'counter', labels: ['topic', 'error_type'] },
  factlib_kafka_produce_latency_seconds: { type: 'histogram', labels: ['topic'] },
  factlib_wal_replication_errors_total: { type: 'counter', labels: ['slot', 'error_type'] },
} as const

const defaultBuckets = ['0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '5', '10', '+Inf']

describe("owlpost's /metrics under the Go owlpost's names", () => {
  let world: Awaited<ReturnType<typeof createScenario>>
  let owlpost: OwlpostProcess

  beforeAll(async () => {
    world = await createScenario('go_metrics')
    // A topic that refuses records over 2 KiB; with gzip the sink cannot tell beforehand, so
    // Kafka refuses the produce request and the fact goes to the dead-letter topic.
    const admin = new Kafka({ brokers: world.kafka.brokers, logLevel: logLevel.NOTHING }).admin()
    await admin.connect()
    await admin.createTopics({
      topics: [
        {
          topic: topicFor(world.prefix, 'blob'),
          numPartitions: 1,
          configEntries: [{ name: 'max.message.bytes', value: '2048' }],
        },
      ],
      waitForLeaders: true,
    })
    await admin.disconnect()
    owlpost = await startOwlpost({ ...world.owlpostEnv, KAFKA_COMPRESSION: 'gzip' })
    await owlpost.ready()
  })

  afterAll(async () => {
    await owlpost?.stop()
    await world?.sql.end()
  })

  it('serves every Go metric with its type and labels, counting facts, a refused record and a broken session', async () => {
    const { sql, producer, prefix, slot, kafka } = world
    const emit = (aggregateType: string, eventType: string, payload: Uint8Array) =>
      sql.begin((tx) =>
        producer.emit(tx, { aggregateType, aggregateId: `${aggregateType}-1`, eventType, payload }),
      )
    await emit('order', 'order.placed', utf8('{}'))
    await emit('order', 'order.placed', utf8('{}'))
    await emit('order', 'order.paid', utf8('{}'))
    await emit('blob', 'blob.stored', new Uint8Array(randomBytes(8_192)))
    await readTopics(kafka.brokers, [deadLetterTopicFor(prefix)], (seen) => seen.length >= 1, 30_000)

    // The walsender is terminated under owlpost: PostgreSQL says why, and owlpost reconnects.
    await sql`select pg_terminate_backend(active_pid) from pg_replication_slots where slot_name = ${slot}`
    await waitFor('owlpost to reconnect', async () => (await owlpost.readiness()).status === 200, 30_000)
    const after = await world.emitAndRead('order')
    expect(after.seen).toContain(after.id)

    const { types, samples } = parseExposition(await owlpost.metrics())
    for (const [name, { type, labels }] of Object.entries(goMetrics)) {
      expect(types.get(name), name).toBe(type)
      const series = samples.filter((sample) =>
        type === 'histogram' ? sample.name.startsWith(`${name}_`) : sample.name === name,
      )
      for (const sample of series) {
        const expected = sample.name.endsWith('_bucket') ? [...labels, 'le'] : [...labels]
        expect(Object.keys(sample.labels).sort(), sample.name).toEqual(expected.sort())
      }
    }
    const value = (name: string, labels: Record<string, string>) =>
      samples.find(
        (sample) =>
          sample.name === name && Object.entries(labels).every(([key, want]) => sample.labels[key] === want),
      )?.value

    const order = topicFor(prefix, 'order')
    const blob = topicFor(prefix, 'blob')
    const placed = { aggregate_type: 'order', event_type: 'order.placed' }
    expect(value('factlib_events_consumed_total', placed)).toBe(2)
    expect(value('factlib_event_handler_success_total', placed)).toBe(2)
    expect(
      value('factlib_events_consumed_total', { aggregate_type: 'order', event_type: 'order.paid' }),
    ).toBe(1)
    expect(
      value('factlib_events_consumed_total', { aggregate_type: 'blob', event_type: 'blob.stored' }),
    ).toBe(1)
    expect(value('factlib_event_handler_latency_seconds_count', placed)).toBe(2)
    const handlerBuckets = samples
      .filter((sample) => sample.name === 'factlib_event_handler_latency_seconds_bucket')
      .filter((sample) => sample.labels.event_type === 'order.placed')
      .map((sample) => sample.labels.le)
    expect(handlerBuckets).toEqual(defaultBuckets)

    // Acknowledged records per topic; the refused one never was on its own topic.
    expect(value('factlib_kafka_produce_success_total', { topic: order })).toBe(4)
    expect(value('factlib_kafka_produce_success_total', { topic: blob })).toBeUndefined()
    expect(value('factlib_kafka_produce_latency_seconds_count', { topic: order })).toBe(4)
    expect(value('factlib_kafka_produce_failures_total', { topic: blob, error_type: 'rejected' })).toBe(1)
    expect(value('factlib_kafka_produce_failures_total', { topic: blob, error_type: 'dead_letter' })).toBe(1)

    expect(value('factlib_wal_replication_errors_total', { slot, error_type: 'pg_error' })).toBe(1)
    // Ours stay beside them.
    expect(types.get('owlpost_facts_delivered_total')).toBe('counter')
  })
})
