import { Counter, Histogram, type Registry } from 'prom-client'
import type { EmitMetrics } from './emit-metrics.js'

export type { EmitFailureType, EmitMetrics } from './emit-metrics.js'

/**
 * The Go producer's Prometheus metrics (fampay-inc/factlib pkg/metrics), registered in the
 * service's registry: `factlib_events_emitted_total` and `factlib_emit_failures_total` counters and
 * the `factlib_event_processing_seconds` histogram (default buckets), labelled by aggregate_type
 * and event_type (failures also by error_type). Producers sharing a registry share the metrics.
 */
export function prometheusEmitMetrics(registry: Registry): EmitMetrics {
  const emitted =
    existing<Counter<'aggregate_type' | 'event_type'>>(registry, 'factlib_events_emitted_total') ??
    new Counter({
      name: 'factlib_events_emitted_total',
      help: 'Total number of events emitted',
      labelNames: ['aggregate_type', 'event_type'] as const,
      registers: [registry],
    })
  const seconds =
    existing<Histogram<'aggregate_type' | 'event_type'>>(registry, 'factlib_event_processing_seconds') ??
    new Histogram({
      name: 'factlib_event_processing_seconds',
      help: 'Time taken to process one event',
      labelNames: ['aggregate_type', 'event_type'] as const,
      registers: [registry],
    })
  const failures =
    existing<Counter<'aggregate_type' | 'event_type' | 'error_type'>>(
      registry,
      'factlib_emit_failures_total',
    ) ??
    new Counter({
      name: 'factlib_emit_failures_total',
      help: 'Total number of failed emits',
      labelNames: ['aggregate_type', 'event_type', 'error_type'] as const,
      registers: [registry],
    })
  return {
    emitted(aggregateType, eventType, elapsed) {
      const labels = { aggregate_type: aggregateType, event_type: eventType }
      emitted.inc(labels)
      seconds.observe(labels, elapsed)
    },
    failed(aggregateType, eventType, type) {
      failures.inc({ aggregate_type: aggregateType, event_type: eventType, error_type: type })
    },
  }
}

function existing<T>(registry: Registry, name: string): T | undefined {
  return registry.getSingleMetric(name) as T | undefined
}
