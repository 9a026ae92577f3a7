import { Counter, type Registry } from 'prom-client'
import { BucketHistogram } from './bucket-histogram.js'

/**
 * The Go owlpost's Prometheus metrics (fampay-inc/factlib pkg/metrics/metrics.go): the same names,
 * types, label names, help texts and default buckets, so its dashboards and alerts keep working.
 * What each counts here is in the README's "Metrics of the Go owlpost" table; where the Go
 * meaning was wrong (handler latency was always zero), the name stays and ours is the real one.
 */
export function createGoMetrics(registry: Registry) {
  const registers = [registry]
  return {
    eventsConsumed: new Counter({
      name: 'factlib_events_consumed_total',
      help: 'Total number of events consumed',
      labelNames: ['aggregate_type', 'event_type'] as const,
      registers,
    }),
    handlerSuccess: new Counter({
      name: 'factlib_event_handler_success_total',
      help: 'Total number of successful event handler executions',
      labelNames: ['aggregate_type', 'event_type'] as const,
      registers,
    }),
    handlerFailures: new Counter({
      name: 'factlib_event_handler_failures_total',
      help: 'Total number of failed event handler executions',
      labelNames: ['aggregate_type', 'event_type', 'error_type'] as const,
      registers,
    }),
    handlerLatency: new BucketHistogram(
      'factlib_event_handler_latency_seconds',
      'Event handler execution latency in seconds',
      ['aggregate_type', 'event_type'],
    ).registerIn(registry),
    produceSuccess: new Counter({
      name: 'factlib_kafka_produce_success_total',
      help: 'Total number of successful Kafka produce calls',
      labelNames: ['topic'] as const,
      registers,
    }),
    produceFailures: new Counter({
      name: 'factlib_kafka_produce_failures_total',
      help: 'Total number of failed Kafka produce calls',
      labelNames: ['topic', 'error_type'] as const,
      registers,
    }),
    produceLatency: new BucketHistogram(
      'factlib_kafka_produce_latency_seconds',
      'Kafka produce latency in seconds',
      ['topic'],
    ).registerIn(registry),
    walReplicationErrors: new Counter({
      name: 'factlib_wal_replication_errors_total',
      help: 'Total number of WAL replication errors',
      labelNames: ['slot', 'error_type'] as const,
      registers,
    }),
  }
}

export type GoMetrics = ReturnType<typeof createGoMetrics>

/**
 * `error_type` of factlib_wal_replication_errors_total. The first four are the Go owlpost's words
 * for the same causes; `connect` and `slot_setup` are steps the Go relay did once at start.
 */
export type WalErrorType =
  | 'start_replication'
  | 'pg_error'
  | 'receive_message'
  | 'parse_logical_msg'
  | 'connect'
  | 'slot_setup'
