import { kafkajsCorrectionNames, kafkajsCorrections } from '@factlib/kafka-sink'
import { Counter, Registry } from 'prom-client'
import { describe, expect, it } from 'vitest'
import { createMetrics, tallyPerLabel, tallyPerLabelPair } from './metrics.js'

describe('tallyPerLabel', () => {
  it('hands the counts of a tick to the counter once the tick is over', async () => {
    const registry = new Registry()
    const counter = new Counter({
      name: 'facts_total',
      help: 'facts',
      labelNames: ['topic'],
      registers: [registry],
    })
    const count = tallyPerLabel(counter)
    for (let n = 0; n < 1_000; n++) count(n % 3 === 0 ? 'shop.order' : 'shop.payment')
    count('shop.order', 5)
    const valuesOf = async () =>
      Object.fromEntries((await counter.get()).values.map((value) => [value.labels.topic, value.value]))
    // counter.get() reads the values at once, before the tick's flush.
    expect(await valuesOf()).toEqual({})
    expect(await valuesOf()).toEqual({ 'shop.order': 339, 'shop.payment': 666 })
    count('shop.payment')
    await Promise.resolve()
    expect(await valuesOf()).toEqual({ 'shop.order': 339, 'shop.payment': 667 })
  })
})

describe('tallyPerLabelPair', () => {
  it('hands the counts of a tick to a two-label counter once the tick is over', async () => {
    const registry = new Registry()
    const counter = new Counter({
      name: 'events_total',
      help: 'events',
      labelNames: ['aggregate_type', 'event_type'],
      registers: [registry],
    })
    const count = tallyPerLabelPair(counter)
    for (let n = 0; n < 10; n++) count('order', n % 2 === 0 ? 'order.placed' : 'order.paid')
    count('user', 'user.created', 3)
    const valuesOf = async () =>
      Object.fromEntries(
        (await counter.get()).values.map((value) => [
          `${value.labels.aggregate_type}/${value.labels.event_type}`,
          value.value,
        ]),
      )
    expect(await valuesOf()).toEqual({})
    expect(await valuesOf()).toEqual({
      'order/order.placed': 5,
      'order/order.paid': 5,
      'user/user.created': 3,
    })
  })
})

describe('the Go owlpost metrics', () => {
  it('are registered beside ours with the Go names, types, label names and help texts', () => {
    const { registry } = createMetrics()
    const expected = [
      [
        'factlib_events_consumed_total',
        'counter',
        ['aggregate_type', 'event_type'],
        'Total number of events consumed',
      ],
      [
        'factlib_event_handler_success_total',
        'counter',
        ['aggregate_type', 'event_type'],
        'Total number of successful event handler executions',
      ],
      [
        'factlib_event_handler_failures_total',
        'counter',
        ['aggregate_type', 'event_type', 'error_type'],
        'Total number of failed event handler executions',
      ],
      [
        'factlib_event_handler_latency_seconds',
        'histogram',
        ['aggregate_type', 'event_type'],
        'Event handler execution latency in seconds',
      ],
      [
        'factlib_kafka_produce_success_total',
        'counter',
        ['topic'],
        'Total number of successful Kafka produce calls',
      ],
      [
        'factlib_kafka_produce_failures_total',
        'counter',
        ['topic', 'error_type'],
        'Total number of failed Kafka produce calls',
      ],
      ['factlib_kafka_produce_latency_seconds', 'histogram', ['topic'], 'Kafka produce latency in seconds'],
      [
        'factlib_wal_replication_errors_total',
        'counter',
        ['slot', 'error_type'],
        'Total number of WAL replication errors',
      ],
    ] as const
    for (const [name, type, labelNames, help] of expected) {
      const metric = registry.getSingleMetric(name) as unknown as {
        type: string
        labelNames: readonly string[]
        help: string
      }
      expect(metric, name).toBeDefined()
      expect({ type: metric.type, labelNames: [...metric.labelNames], help: metric.help }, name).toEqual({
        type,
        labelNames,
        help,
      })
    }
    expect(registry.getSingleMetric('owlpost_facts_delivered_total')).toBeDefined()
  })
})

describe('owlpost_kafkajs_correction_active', () => {
  it('is 1 for each correction in effect and 0 for the others, as kafka-sink reports them', async () => {
    const { registry, kafkajsCorrectionActive } = createMetrics()
    expect(registry.getSingleMetric('owlpost_kafkajs_correction_active')).toBe(kafkajsCorrectionActive)
    const values = (await kafkajsCorrectionActive.get()).values.map(({ labels, value }) => [
      labels.correction,
      value,
    ])
    expect(values).toEqual(kafkajsCorrections().map(({ name, applied }) => [name, applied ? 1 : 0]))
    expect(values).toHaveLength(kafkajsCorrectionNames.length)
  })
})
