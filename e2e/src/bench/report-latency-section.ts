import type { BenchReport } from './report.js'
import { cpuRows, latencyCells, table } from './report-format.js'

/** Section 2: steady latency, beside each half alone at the same rate. */
export function latencySection(report: BenchReport): string {
  const { latency } = report
  return `## 2. Steady latency

${latency.rate} facts/s wanted for ${latency.seconds} s measured after ${latency.warmup.seconds} s of warm-up at the same rate, one fact per transaction (\`producer.emit\` on an
autocommit executor: the single statement \`select pg_logical_emit_message(true, …)\` is the whole transaction), paced on a schedule over ${latency.writerConnections} connections: ${latency.committed} committed in the window
(${latency.achievedRate} facts/s achieved), ${latency.failedCommits} failed, ${latency.lateTransactions} started more
than 100 ms late. owlpost was the one that had drained the backlog, still running.

Latency of each fact = its Kafka record timestamp (topics with message.timestamp.type=LogAppendTime, so the broker's
append time, ms resolution) minus its transaction's commit time in the WAL (pgoutput Begin.commitTime, µs), matched
by fact id. Commit times come from a second, observer slot read with @factlib/wal after the window (so it added no
load during it); append times from a kafkajs consumer of the phase's topics afterwards.

${table(
  ['facts', 'p50 ms', 'p90 ms', 'p99 ms', 'p99.9 ms', 'max ms', 'unmatched'],
  [
    [
      latency.latencyMs.count,
      latency.latencyMs.p50,
      latency.latencyMs.p90,
      `**${latency.latencyMs.p99}**`,
      latency.latencyMs.p999,
      latency.latencyMs.max,
      latency.unmatched,
    ],
  ],
)}

The warm-up's ${latency.warmup.latencyMs.count} facts are left out above: they include the start of the phase (the
writers' connections opening, owlpost meeting the phase's topics for the first time). Their latency:
p50 ${latency.warmup.latencyMs.p50} ms, p99 ${latency.warmup.latencyMs.p99} ms, max ${latency.warmup.latencyMs.max} ms.

Each half alone, at the same rate for ${report.baselines.seconds} s, owlpost not running, the same paced writers
committing facts meanwhile in both (what the machine gives without the relay; compare the percentiles, do not add them):

${table(
  ['path', 'p50 ms', 'p90 ms', 'p99 ms', 'p99.9 ms', 'max ms', 'how'],
  [
    [
      'PostgreSQL: commit to WAL message received',
      ...latencyCells(report.baselines.walDelivery),
      'same paced writers; a live @factlib/wal stream on a temporary slot in the bench process; receipt time minus Begin.commitTime',
    ],
    [
      'Kafka: due to ack, bare kafkajs',
      ...latencyCells(report.baselines.kafkaAck),
      'writers committing as in section 2 (not relayed); records due at the rate; all that came due during the request in flight go in the next sendBatch; idempotent, acks=-1, 1 request in flight',
    ],
    ['owlpost: commit to Kafka append (above)', ...latencyCells(latency.latencyMs), 'section 2'],
  ],
)}

owlpost's own histogram owlpost_commit_to_ack_seconds over the same window (commit time in the WAL to the moment
its kafkajs send resolved; bucket bounds only): ${latency.owlpostHistogram.count} facts, p50 <= ${latency.owlpostHistogram.p50AtMostSeconds * 1000} ms,
p99 <= ${latency.owlpostHistogram.p99AtMostSeconds * 1000} ms; share at or under each bound:
${latency.owlpostHistogram.cumulativeShare.map(({ le, share }) => `${le === '+Inf' ? '+Inf' : `${Number(le) * 1000} ms`}: ${(share * 100).toFixed(1)}%`).join(', ')}.

owlpost's runtime in the window (its own prom-client gauges): event-loop lag p50 ${latency.owlpostRuntime.eventLoopLagMs.p50} ms,
p99 ${latency.owlpostRuntime.eventLoopLagMs.p99} ms, max ${latency.owlpostRuntime.eventLoopLagMs.max} ms; garbage collection:

${table(
  ['GC kind', 'pauses', 'total s', 'pauses over 100 ms'],
  Object.entries(latency.owlpostRuntime.gc.byKind).map(([kind, gc]) => [
    kind,
    gc.count,
    gc.seconds,
    gc.over100ms,
  ]),
)}

CPU during the window (machine busy ${(latency.machineBusyShare * 100).toFixed(0)}%):
${table(['process', 'CPU s', 'cores', 'CPU µs per fact'], cpuRows(latency.cpuSeconds, latency.seconds, latency.committed))}
`
}
