import type { FactInput } from '@factlib/core'
import { createDatabase, startPostgres } from '@factlib/testing'
import postgres from 'postgres'
import { Registry } from 'prom-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createProducer } from './index.js'
import { prometheusEmitMetrics } from './prometheus.js'

let sql: postgres.Sql

beforeAll(async () => {
  const database = await createDatabase(await startPostgres(), 'producer_metrics')
  sql = postgres(database.url, { max: 2, onnotice: () => {} })
})

afterAll(async () => {
  await sql?.end()
})

const order = (eventType: string): FactInput => ({
  aggregateType: 'order',
  aggregateId: 'o-1',
  eventType,
  payload: new TextEncoder().encode('{}'),
})

/** Sample values of one metric, keyed by its label values joined with '/'. */
async function samples(registry: Registry, name: string): Promise<Record<string, number>> {
  const metric = (await registry.getMetricsAsJSON()).find((candidate) => candidate.name === name)
  const result: Record<string, number> = {}
  for (const value of (metric?.values ?? []) as Array<{
    labels: Record<string, string>
    value: number
    metricName?: string
  }>) {
    if (value.metricName && !value.metricName.endsWith('_count') && name.endsWith('_seconds')) continue
    result[Object.values(value.labels).join('/')] = value.value
  }
  return result
}

describe('the Go producer metrics, in the registry the service passes', () => {
  it('count emitted facts, time their statements and count each kind of failure', async () => {
    const registry = new Registry()
    const producer = createProducer({
      prefix: 'metrics-test',
      traceContext: false,
      metrics: prometheusEmitMetrics(registry),
    })
    await sql.begin(async (tx) => {
      await producer.emit(tx, order('order.placed'))
      await producer.emitMany(tx, [order('order.placed'), order('order.paid'), order('order.paid')])
    })
    // validation: not a fact; the labels are what the caller gave.
    await sql
      .begin((tx) => producer.emit(tx, { ...order('order.placed'), aggregateId: '' }))
      .catch(() => undefined)
    // emit: the database refuses the statement (the transaction is already aborted).
    await sql
      .begin(async (tx) => {
        await tx`select 1/0`.catch(() => undefined)
        await producer.emit(tx, order('order.cancelled'))
      })
      .catch(() => undefined)

    expect(await samples(registry, 'factlib_events_emitted_total')).toEqual({
      'order/order.placed': 2,
      'order/order.paid': 2,
    })
    expect(await samples(registry, 'factlib_event_processing_seconds')).toEqual({
      'order/order.placed': 2,
      'order/order.paid': 2,
    })
    expect(await samples(registry, 'factlib_emit_failures_total')).toEqual({
      'order/order.placed/validation': 1,
      'order/order.cancelled/emit': 1,
    })
    const text = await registry.metrics()
    expect(text).toContain('# TYPE factlib_events_emitted_total counter')
    expect(text).toContain('# TYPE factlib_event_processing_seconds histogram')
    expect(text).toContain('# TYPE factlib_emit_failures_total counter')
    expect(text).toMatch(
      /factlib_event_processing_seconds_bucket\{le="0\.005",aggregate_type="order",event_type="order\.paid"\}/,
    )
  })

  it('lets producers share one registry', async () => {
    const registry = new Registry()
    const metrics = prometheusEmitMetrics(registry)
    const again = prometheusEmitMetrics(registry)
    metrics.emitted('a', 'b', 0.001)
    again.emitted('a', 'b', 0.001)
    expect(await samples(registry, 'factlib_events_emitted_total')).toEqual({ 'a/b': 2 })
  })
})
