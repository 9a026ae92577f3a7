import type { GuaranteeComparison } from './guarantee-phase.js'
import { mib, table } from './report-format.js'

export function guaranteeSection(comparison: GuaranteeComparison): string {
  return `## 5. At-least-once beside exactly-once

${comparison.facts} facts for each guarantee, committed in the same transactions (so both owlposts decode the same
WAL), each guarantee on its own slot and topics. Drain: from /ready until owlpost counted every fact acknowledged
(with exactly-once: in a committed Kafka transaction, \`owlpost_kafka_transaction_facts_sum\`); start-up (spawn to
/ready, with exactly-once including InitProducerId and reading the checkpoint back) apart. Steady: ${comparison.rate} facts/s for
${comparison.seconds} s, one fact per transaction, latency from the writer's commit returning to a read_committed
kafkajs consumer receiving the record (the same method for both rows). EOS_COMMIT_INTERVAL_MS ${comparison.commitIntervalMs}.

${table(
  [
    'guarantee',
    'drain facts/s',
    'drain s',
    'start-up s',
    'p50 ms',
    'p90 ms',
    'p99 ms',
    'max ms',
    'unmatched',
    'peak RSS',
    'Kafka transactions (aborted)',
  ],
  comparison.rows.map((row) => [
    row.guarantee,
    `**${row.drainFactsPerSecond}**`,
    row.drainSeconds,
    row.startupSeconds,
    row.latencyMs.p50,
    row.latencyMs.p90,
    `**${row.latencyMs.p99}**`,
    row.latencyMs.max,
    row.unmatched,
    mib(row.peakRssBytes),
    row.guarantee === 'exactly-once' ? `${row.transactions.committed} (${row.transactions.aborted})` : '-',
  ]),
)}

Exactly-once / at-least-once drain: **${comparison.drainRatio.toFixed(2)}** (target >= 0.7). Exactly-once p99 target:
${comparison.commitIntervalMs} ms + the at-least-once p99 above = ${comparison.latencyTargetMs} ms.
`
}
