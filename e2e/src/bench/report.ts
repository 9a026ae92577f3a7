import { type ClusterRows, clusterMarkdown } from './cluster-rows.js'
import type { DrainResult } from './drain-phase.js'
import type { GuaranteeComparison } from './guarantee-phase.js'
import type { LatencyResult } from './latency-phase.js'
import type { MachineInfo, Versions } from './machine.js'
import type { OutageResult } from './outage-phase.js'
import type { PackageBenchResult } from './package-benches.js'
import type { LatencySummary } from './percentiles.js'
import type { ProfiledDrainResult } from './profiled-drain-phase.js'
import { drainSection } from './report-drain-section.js'
import { peakOfDrain, rssLimitBytes, rssLimitText, table, tail } from './report-format.js'
import { guaranteeSection } from './report-guarantee-section.js'
import { latencySection } from './report-latency-section.js'
import { memorySection } from './report-memory-section.js'
import { profileSection } from './report-profile-section.js'
import { latencyTargetMs } from './report-targets.js'

export { targetsOf } from './report-targets.js'

export interface Target {
  name: string
  value: string
  target: string
  met: boolean
}

export interface BenchReport {
  generatedAt: string
  command: string
  totalSeconds: number
  machine: MachineInfo & { loadAverageAtEnd: number[] }
  versions: Versions
  settings: Record<string, unknown>
  drain: DrainResult
  latency: LatencyResult
  /** The same two phases on three brokers, when run with --cluster. */
  cluster?: ClusterRows
  baselines: { seconds: number; walDelivery: LatencySummary; kafkaAck: LatencySummary }
  outage: OutageResult
  profiled: ProfiledDrainResult | undefined
  guarantees: GuaranteeComparison | undefined
  packages: PackageBenchResult[]
  targets?: Target[]
}

/** The whole report: the summary, then one section per phase, in the order they ran. */
export function renderMarkdown(report: BenchReport): string {
  const { drain, latency } = report
  const parts = [summarySection(report), drainSection(report), latencySection(report), memorySection(report)]
  parts.push(profileSection(report))
  parts.push(packagesSection(report))
  if (report.guarantees) parts.push(guaranteeSection(report.guarantees))
  parts.push(`## Settings

\`\`\`json
${JSON.stringify(report.settings, null, 2)}
\`\`\`

owlpost environment in the drain: \`${JSON.stringify(drain.owlpost.env)}\`
`)
  if (report.cluster) parts.push(clusterMarkdown({ drain, latency }, report.cluster))
  return parts.join('\n')
}

/** The title, machine and versions, then every ratio and target at a glance. */
function summarySection(report: BenchReport): string {
  const { drain, latency, outage, machine, versions } = report
  const targets = report.targets ?? []
  const lower = drain.lowerLimit === 'wal-read' ? 'WAL read (pg_recvlogical)' : 'Kafka write (bare kafkajs)'
  return `# owlpost benchmark report

Generated ${report.generatedAt} by \`${report.command}\` in ${report.totalSeconds} s.

**Machine:** ${machine.cpuModel}, ${machine.cores} cores, ${machine.memoryGiB} GiB, ${machine.kernel}; load average
${machine.loadAverageAtStart.join(' / ')} at start, ${machine.loadAverageAtEnd.join(' / ')} at the end (the machine is
shared: absolute times are noisy, read the ratios first).
**Versions:** node ${versions.node}; ${versions.postgres}; ${versions.kafka} on ${versions.java}; kafkajs
${versions.kafkajs}; commit ${versions.gitCommit}.

## Ratios and targets

| ratio | value |
| --- | --- |
| owlpost drain / lower limit (${lower}) | **${drain.ratioToLowerLimit.toFixed(2)}** |
| owlpost drain / WAL read limit | ${(drain.owlpost.factsPerSecond / drain.walReadLimit.factsPerSecond).toFixed(2)} |
| owlpost drain / Kafka write limit (bare kafkajs) | ${(drain.owlpost.factsPerSecond / drain.kafkaWriteLimit.factsPerSecond).toFixed(2)} |
| owlpost drain / Java producer (Apache Kafka ProducerPerformance) | ${drain.javaProducerLimit ? (drain.owlpost.factsPerSecond / drain.javaProducerLimit.factsPerSecond).toFixed(2) : 'skipped (--no-java-producer)'} |
| owlpost drain from /ready / Java producer (both without start-up) | ${drain.ratioFromReadyToJavaProducer?.toFixed(2) ?? 'skipped (--no-java-producer)'} |
| owlpost drain from /ready / Java producer with owlpost's records (both without start-up) | ${drain.ratioFromReadyToJavaFactRecords?.toFixed(2) ?? 'skipped (--no-java-producer)'} |
| steady p99 latency / same-run target (${latencyTargetMs(report)} ms: Kafka alone p99 + PostgreSQL alone p99 + 10 ms) | ${(latency.latencyMs.p99 / latencyTargetMs(report)).toFixed(2)} |
| peak RSS drain / ${rssLimitText} | ${(peakOfDrain(drain) / rssLimitBytes).toFixed(2)} |
| peak RSS Kafka outage / ${rssLimitText} | ${(outage.peakRssDuringOutageBytes / rssLimitBytes).toFixed(2)} |

${table(
  ['target', 'value', 'wanted', 'met'],
  targets.map((target) => [target.name, target.value, target.target, target.met ? 'yes' : '**no**']),
)}
`
}

/** Section 4: each package's own micro-benchmark, run against the bench's servers. */
function packagesSection(report: BenchReport): string {
  if (report.packages.length === 0) return '## 4. Package micro-benchmarks\n\nSkipped (--no-packages).\n'
  const runs = report.packages.map(
    (result) => `### ${result.package}: ${result.status}

\`${result.command}\` (exit ${result.exitCode}, ${result.seconds.toFixed(0)} s, run after the phases above on the same
dedicated servers: FACTLIB_TEST_KAFKA_BROKERS / FACTLIB_TEST_DATABASE_URL pointed at them)

\`\`\`
${tail(result.output, 60)}
\`\`\`
`,
  )
  return ['## 4. Package micro-benchmarks\n', ...runs].join('\n')
}
