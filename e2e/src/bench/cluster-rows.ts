import type { BenchOptions } from './bench-options.js'
import { createBenchWorld } from './bench-world.js'
import { type DrainResult, runDrainPhase } from './drain-phase.js'
import type { Workload } from './fact-workload.js'
import { type LatencyResult, runLatencyPhase } from './latency-phase.js'

/** The drain and steady-latency rows again, against three brokers (replication 3, min.insync 2, acks=all). */
export interface ClusterRows {
  drain: DrainResult
  latency: LatencyResult
}

/**
 * A world of its own (PostgreSQL and the three-node cluster), started after the single-broker world
 * is gone so both rows of a run had the machine to themselves, and the same two phases run in it.
 * The Kafka CPU figures there are one broker's of three (the first JVM found).
 */
export async function runClusterRows(
  workload: Workload,
  options: BenchOptions,
  log: (line: string) => void,
): Promise<ClusterRows> {
  log('cluster: starting a dedicated PostgreSQL and a three-broker Kafka cluster')
  const world = await createBenchWorld(options.partitions, 'cluster')
  try {
    const drain = await runDrainPhase(world, workload, options, (line) => log(`cluster: ${line}`))
    const latency = await runLatencyPhase(world, workload, drain.owlpost, drain.owlpostPid, options, (line) =>
      log(`cluster: ${line}`),
    )
    await drain.owlpost.stop()
    return { drain: drain.result, latency }
  } finally {
    await world.close()
  }
}

/** The two rows side by side, for the report. */
export function clusterMarkdown(single: ClusterRows, cluster: ClusterRows): string {
  const row = (name: string, rows: ClusterRows) =>
    `| ${name} | ${rows.drain.owlpost.factsPerSecond} | ${rows.drain.kafkaWriteLimit.factsPerSecond} | ` +
    `${rows.drain.javaProducerLimit?.factsPerSecond ?? '-'} | ${rows.drain.javaFactRecordsLimit?.factsPerSecond ?? '-'} | ` +
    `${rows.latency.achievedRate} | ${rows.latency.latencyMs.p50} | ${rows.latency.latencyMs.p99} | ${rows.latency.latencyMs.max} |`
  return `## Three-broker cluster beside one broker

The drain and steady-latency phases again, in a world of their own started after the first: three
combined broker+controller nodes, topics with replication factor 3 and min.insync.replicas 2,
owlpost and the bare producers with acks=all as always. No target yet.

| Kafka | drain facts/s (owlpost) | bare kafkajs facts/s | Java producer facts/s | Java, owlpost's records facts/s | steady facts/s | latency p50 ms | p99 ms | max ms |
|---|---|---|---|---|---|---|---|---|
${row('one broker, replication 1', single)}
${row('three brokers, replication 3', cluster)}
`
}
