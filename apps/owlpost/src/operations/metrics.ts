import { kafkajsCorrections } from '@factlib/kafka-sink'
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client'
import { BucketHistogram } from './bucket-histogram.js'
import { createGoMetrics } from './go-metrics.js'
import { createLabelCaps } from './label-cap.js'

/** Values read when scraped rather than set as they change. */
export interface MetricSources {
  /** Facts handed to Kafka and not yet acknowledged, now. */
  inFlightFacts?: () => number
  /** Seconds facts have waited with none delivered (what /health compares with LIVENESS_MAX_NO_PROGRESS_MS). */
  noProgressSeconds?: () => number
}

/** The relay's Prometheus metrics, on a registry of its own so tests and embedders do not collide. */
export function createMetrics(sources: MetricSources = {}) {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry, prefix: 'owlpost_' })
  const metrics = {
    registry,
    factsRead: new Counter({
      name: 'owlpost_facts_read_total',
      help: 'Facts read from the WAL under our prefixes',
      labelNames: ['prefix'] as const,
      registers: [registry],
    }),
    factsDelivered: new Counter({
      name: 'owlpost_facts_delivered_total',
      help: 'Facts acknowledged by Kafka',
      labelNames: ['topic'] as const,
      registers: [registry],
    }),
    factsDeadLettered: new Counter({
      name: 'owlpost_facts_dead_lettered_total',
      help: 'Facts sent to the dead-letter topic, by the topic they were meant for',
      labelNames: ['topic'] as const,
      registers: [registry],
    }),
    // Observed once per fact: a BucketHistogram, since prom-client's observe allocates per call.
    commitToAck: new BucketHistogram(
      'owlpost_commit_to_ack_seconds',
      'From the commit time in the WAL to the Kafka acknowledgement',
      [],
      [0.002, 0.005, 0.01, 0.02, 0.03, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    ).registerIn(registry),
    confirmedLsn: new Gauge({
      name: 'owlpost_confirmed_lsn',
      help: 'The WAL position last confirmed to PostgreSQL (as a number)',
      registers: [registry],
    }),
    slotLagBytes: new Gauge({
      name: 'owlpost_slot_lag_bytes',
      help: 'pg_current_wal_lsn() minus the slot confirmed_flush_lsn',
      registers: [registry],
    }),
    slotRetainedWalBytes: new Gauge({
      name: 'owlpost_slot_retained_wal_bytes',
      help: 'pg_current_wal_lsn() minus the slot restart_lsn: WAL the primary keeps on disk for the slot',
      registers: [registry],
    }),
    slotWalKeepSizeBytes: new Gauge({
      name: 'owlpost_slot_wal_keep_size_bytes',
      help: 'The server max_slot_wal_keep_size in bytes (-1: unlimited, the slot may retain WAL until the disk is full)',
      registers: [registry],
    }),
    postgresServerVersion: new Gauge({
      name: 'owlpost_postgres_server_version_num',
      help: 'The server_version_num of the PostgreSQL server the slot is on (170005 for 17.5)',
      registers: [registry],
    }),
    slotFailoverSafe: new Gauge({
      name: 'owlpost_slot_failover_safe',
      help: '1 when the slot is a failover slot the standby keeps in step (PostgreSQL 17), else 0',
      registers: [registry],
    }),
    emitPublicExecutable: new Gauge({
      name: 'owlpost_emit_public_executable',
      help: '1 when PUBLIC can execute pg_logical_emit_message, so any role that can log in can forge a fact; 0 once revoked',
      registers: [registry],
    }),
    reconnects: new Counter({
      name: 'owlpost_reconnects_total',
      help: 'Reconnections, by the side that dropped',
      labelNames: ['target'] as const,
      registers: [registry],
    }),
    inFlightFacts: new Gauge({
      name: 'owlpost_in_flight_facts',
      help: 'Facts handed to Kafka and not yet acknowledged',
      registers: [registry],
      // Also read at each scrape: the relay sets it as the confirmed position moves, which it
      // does not while Kafka is down, when the count matters most.
      ...(sources.inFlightFacts
        ? {
            collect(this: Gauge) {
              this.set(sources.inFlightFacts?.() ?? 0)
            },
          }
        : {}),
    }),
    noProgressSeconds: new Gauge({
      name: 'owlpost_no_progress_seconds',
      help: 'How long facts have waited with none delivered (0 while none wait); /health fails above LIVENESS_MAX_NO_PROGRESS_MS',
      registers: [registry],
      collect(this: Gauge) {
        this.set(sources.noProgressSeconds?.() ?? 0)
      },
    }),
    livenessMaxNoProgressSeconds: new Gauge({
      name: 'owlpost_liveness_max_no_progress_seconds',
      help: 'LIVENESS_MAX_NO_PROGRESS_MS in seconds: /health fails once owlpost_no_progress_seconds passes it',
      registers: [registry],
    }),
    active: new Gauge({
      name: 'owlpost_active',
      help: '1 while this instance holds the slot, 0 while it waits as a standby',
      registers: [registry],
    }),
    kafkaHealthy: new Gauge({
      name: 'owlpost_kafka_healthy',
      help: '1 while Kafka delivery succeeds, 0 while the sink retries a failure (broker down, topic missing) or before it connected',
      registers: [registry],
    }),
    eosTransactions: new Counter({
      name: 'owlpost_kafka_transactions_total',
      help: 'Exactly-once: Kafka transactions ended, committed or aborted (an abort resends from the checkpoint)',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    eosTransactionSeconds: new Histogram({
      name: 'owlpost_kafka_transaction_seconds',
      help: 'Exactly-once: from a Kafka transaction beginning to its commit',
      buckets: [0.01, 0.025, 0.05, 0.1, 0.15, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers: [registry],
    }),
    eosTransactionFacts: new Histogram({
      name: 'owlpost_kafka_transaction_facts',
      help: 'Exactly-once: facts per committed Kafka transaction',
      buckets: [0, 1, 10, 100, 500, 1_000, 2_500, 5_000, 10_000, 50_000],
      registers: [registry],
    }),
    kafkajsCorrectionActive: new Gauge({
      name: 'owlpost_kafkajs_correction_active',
      help: '1 when the kafka-sink correction to kafkajs of that name is in effect, else 0 (see /ready for why)',
      labelNames: ['correction'] as const,
      registers: [registry],
    }),
    /** The Go owlpost's metrics, under its names, beside ours. */
    go: createGoMetrics(registry),
    /** Labels whose values producers choose go through these first. */
    labels: createLabelCaps(registry),
  }
  // Settled when @factlib/kafka-sink loaded, before this runs.
  for (const { name, applied } of kafkajsCorrections()) {
    metrics.kafkajsCorrectionActive.set({ correction: name }, applied ? 1 : 0)
  }
  return metrics
}

export type RelayMetrics = ReturnType<typeof createMetrics>

/**
 * Counts per value of one-label counters, handed to prom-client once per tick: the relay counts
 * every fact, facts come by the thousand per tick, and each prom-client update hashes a labels
 * object. Counters that count the same events (ours and the Go owlpost's name for them) share
 * one tally. Scrapes run in a later tick, so they never see a count still pending.
 */
export function tallyPerLabel<Label extends string>(
  ...counters: Counter<Label>[]
): (value: string, count?: number) => void {
  const children = new Map<string, Counter.Internal[]>()
  const pending = new Map<string, number>()
  const flush = () => {
    for (const [value, count] of pending) {
      let targets = children.get(value)
      if (!targets) {
        targets = counters.map((counter) => counter.labels(value))
        children.set(value, targets)
      }
      for (const child of targets) child.inc(count)
    }
    pending.clear()
  }
  return (value, count = 1) => {
    if (pending.size === 0) queueMicrotask(flush)
    pending.set(value, (pending.get(value) ?? 0) + count)
  }
}

/** As `tallyPerLabel`, for counters of two labels. */
export function tallyPerLabelPair<Label extends string>(
  ...counters: Counter<Label>[]
): (first: string, second: string, count?: number) => void {
  const children = new Map<string, Map<string, Counter.Internal[]>>()
  const pending = new Map<string, Map<string, number>>()
  let scheduled = false
  const flush = () => {
    scheduled = false
    for (const [first, counts] of pending) {
      let bySecond = children.get(first)
      if (!bySecond) {
        bySecond = new Map()
        children.set(first, bySecond)
      }
      for (const [second, count] of counts) {
        let targets = bySecond.get(second)
        if (!targets) {
          targets = counters.map((counter) => counter.labels(first, second))
          bySecond.set(second, targets)
        }
        for (const child of targets) child.inc(count)
      }
    }
    pending.clear()
  }
  return (first, second, count = 1) => {
    if (!scheduled) {
      scheduled = true
      queueMicrotask(flush)
    }
    let counts = pending.get(first)
    if (!counts) {
      counts = new Map()
      pending.set(first, counts)
    }
    counts.set(second, (counts.get(second) ?? 0) + count)
  }
}
