import { type ClusterRows, clusterMarkdown } from './cluster-rows.js'
import type { DrainResult } from './drain-phase.js'
import type { GuaranteeComparison, GuaranteeRow } from './guarantee-phase.js'
import type { JavaFactRecordsResult } from './java-fact-records-limit.js'
import type { JavaProducerResult } from './java-producer-limit.js'
import type { LatencyResult } from './latency-phase.js'
import type { MachineInfo, Versions } from './machine.js'
import type { OutageResult } from './outage-phase.js'
import type { PackageBenchResult } from './package-benches.js'
import type { LatencySummary } from './percentiles.js'
import type { ProfiledDrainResult } from './profiled-drain-phase.js'

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

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`
const limitMiB = 150

/**
 * The steady-latency target, from baselines of the same run: absolute milliseconds on this machine
 * swing by a factor of four from run to run, Kafka and PostgreSQL alone with them.
 */
function latencyTargetMs(report: BenchReport): number {
  const { baselines } = report
  return Number((baselines.kafkaAck.p99 + baselines.walDelivery.p99 + 10).toFixed(1))
}

export function targetsOf(report: BenchReport): Target[] {
  const { drain, latency, outage, baselines } = report
  const drainPeak = Math.max(drain.owlpost.peakRssBytes, drain.owlpost.sampledPeakRssBytes)
  const latencyTarget = latencyTargetMs(report)
  return [
    {
      name: 'drain facts/s (owlpost, from spawn)',
      value: String(drain.owlpost.factsPerSecond),
      target: '>= 25000',
      met: drain.owlpost.factsPerSecond >= 25_000,
    },
    {
      name: 'drain owlpost / lower limit',
      value: drain.ratioToLowerLimit.toFixed(2),
      target: '>= 0.80',
      met: drain.ratioToLowerLimit >= 0.8,
    },
    {
      name: 'steady latency p99 (WAL commit to Kafka append)',
      value: `${latency.latencyMs.p99} ms`,
      target: `<= ${latencyTarget} ms (Kafka alone p99 ${baselines.kafkaAck.p99} + PostgreSQL alone p99 ${baselines.walDelivery.p99} + 10, this run)`,
      met: latency.latencyMs.p99 <= latencyTarget && latency.unmatched === 0,
    },
    {
      name: 'peak RSS during the drain',
      value: mib(drainPeak),
      target: `<= ${limitMiB} MB`,
      met: drainPeak <= limitMiB * 1e6,
    },
    {
      name: 'peak RSS during the Kafka outage',
      value: mib(outage.peakRssDuringOutageBytes),
      target: `<= ${limitMiB} MB`,
      met: outage.peakRssDuringOutageBytes <= limitMiB * 1e6,
    },
    ...guaranteeTargets(report.guarantees),
  ]
}

function guaranteeTargets(comparison: GuaranteeComparison | undefined): Target[] {
  if (!comparison) return []
  const [atLeastOnce, exactlyOnce] = comparison.rows as [GuaranteeRow, GuaranteeRow]
  return [
    {
      name: 'exactly-once drain / at-least-once drain (same run)',
      value: comparison.drainRatio.toFixed(2),
      target: '>= 0.7',
      met: comparison.drainRatio >= 0.7,
    },
    {
      name: 'exactly-once p99, commit to read_committed visibility',
      value: `${exactlyOnce.latencyMs.p99} ms`,
      target: `<= ${comparison.latencyTargetMs} ms (EOS_COMMIT_INTERVAL_MS ${comparison.commitIntervalMs} + at-least-once p99 ${atLeastOnce.latencyMs.p99} of this run)`,
      met: exactlyOnce.latencyMs.p99 <= comparison.latencyTargetMs && exactlyOnce.unmatched === 0,
    },
    {
      name: 'exactly-once peak RSS (drain and steady)',
      value: mib(exactlyOnce.peakRssBytes),
      target: `<= ${limitMiB} MB`,
      met: exactlyOnce.peakRssBytes <= limitMiB * 1e6,
    },
  ]
}

function guaranteeSection(comparison: GuaranteeComparison): string {
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

function table(header: string[], rows: (string | number)[][]): string {
  const line = (cells: (string | number)[]) => `| ${cells.join(' | ')} |`
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n')
}

function cpuRows(cpu: Record<string, number>, wallSeconds: number, facts: number): (string | number)[][] {
  return Object.entries(cpu).map(([name, seconds]) => [
    name,
    seconds.toFixed(2),
    (seconds / wallSeconds).toFixed(2),
    facts > 0 ? ((seconds * 1e6) / facts).toFixed(1) : '-',
  ])
}

export function renderMarkdown(report: BenchReport): string {
  const { drain, latency, outage, machine, versions } = report
  const java = drain.javaProducerLimit
  const javaRow = (limit: JavaProducerResult) => [
    `Kafka write, Java: ProducerPerformance ${limit.kafkaVersion}`,
    limit.factsPerSecond,
    limit.seconds,
    `**${ratio(drain.owlpost.factsPerSecond, limit.factsPerSecond)}**`,
    `Apache Kafka's Java producer (kafka-tools' ProducerPerformance, --throughput -1): ${Object.entries(
      limit.producerProps,
    )
      .map(([name, value]) => `${name}=${value}`)
      .join(
        ', ',
      )}; ${limit.records} records of ${limit.recordBytes} random bytes (the envelope size), no key, no headers, to one topic of ${limit.partitions} partitions; its own rate (producer made to close() returned; ${limit.secondsFromSpawn} s with the JVM start)`,
  ]
  const javaFacts = drain.javaFactRecordsLimit
  const javaFactsRow = (limit: JavaFactRecordsResult) => [
    `Kafka write, Java: KafkaProducer ${limit.kafkaVersion} with owlpost's records`,
    limit.factsPerSecond,
    limit.seconds,
    `**${ratio(drain.owlpost.factsPerSecond, limit.factsPerSecond)}**`,
    `the same producer settings and JVM options as the row above (e2e/src/bench/FactRecordsProducer.java); owlpost's records, the bare kafkajs row's: ${limit.records} records to ${limit.topics.length} topics of ${limit.partitions} partitions, keys (aggregate ids), envelope values, event_id/event_type/LSN headers, prepared beforehand; its own rate (producer made to close() returned; ${limit.secondsFromSpawn} s with the JVM start, compiling the program and reading the records)`,
  ]
  const targets = report.targets ?? []
  const lower = drain.lowerLimit === 'wal-read' ? 'WAL read (pg_recvlogical)' : 'Kafka write (bare kafkajs)'
  const parts: string[] = []
  parts.push(`# owlpost benchmark report

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
| peak RSS drain / 150 MB | ${(Math.max(drain.owlpost.peakRssBytes, drain.owlpost.sampledPeakRssBytes) / 150e6).toFixed(2)} |
| peak RSS Kafka outage / 150 MB | ${(outage.peakRssDuringOutageBytes / 150e6).toFixed(2)} |

${table(
  ['target', 'value', 'wanted', 'met'],
  targets.map((target) => [target.name, target.value, target.target, target.met ? 'yes' : '**no**']),
)}
`)

  parts.push(`## 1. Backlog drain

${drain.backlog.facts} facts, envelopes of ${report.settings.envelopeBytes} bytes, committed with \`emitMany\` of
${drain.backlog.perTransaction} facts per transaction on ${drain.backlog.writers} connections while owlpost was not
running (${drain.backlog.seconds} s, ${mib(drain.backlog.walBytes)} of WAL, ending at ${drain.backlog.endLsn}). Two
slots (owlpost's and pg_recvlogical's) existed before the first fact, so both drained the very same WAL. Run in this
order: pg_recvlogical, bare kafkajs, ${java ? `Java producer${javaFacts ? " (ProducerPerformance, then owlpost's records)" : ''}, ` : ''}owlpost. The last column is owlpost's facts/s
(from spawn) over the row's.

${table(
  ['reader', 'facts/s', 'seconds', 'owlpost / this', 'how'],
  [
    [
      '**owlpost**',
      `**${drain.owlpost.factsPerSecond}**`,
      drain.owlpost.secondsFromSpawn,
      '-',
      `spawn of the CLI until the drain topics' high watermarks (polled every 50 ms from the broker) had grown by ${drain.backlog.facts}; ${drain.owlpost.startupSeconds} s of it was start-up until /ready; then checked against /metrics owlpost_facts_delivered_total`,
    ],
    [
      'owlpost, from /ready',
      Math.round(drain.backlog.facts / drain.owlpost.secondsFromReady),
      drain.owlpost.secondsFromReady,
      '-',
      'the same, timed from the first 200 of /ready',
    ],
    [
      'WAL read limit: pg_recvlogical',
      drain.walReadLimit.factsPerSecond,
      drain.walReadLimit.seconds,
      ratio(drain.owlpost.factsPerSecond, drain.walReadLimit.factsPerSecond),
      'pgoutput proto_version 1, publication, messages=true, to /dev/null, --endpos the backlog end',
    ],
    [
      'Kafka write limit: bare kafkajs',
      drain.kafkaWriteLimit.factsPerSecond,
      drain.kafkaWriteLimit.seconds,
      `**${ratio(drain.owlpost.factsPerSecond, drain.kafkaWriteLimit.factsPerSecond)}**`,
      `idempotent, acks=-1, 1 request in flight, no compression; same topics, keys, values, headers; ${drain.kafkaWriteLimit.batches} sendBatch calls of ~${drain.kafkaWriteLimit.recordsPerBatch} records (the sink's 768 KiB batch rule), records prepared beforehand; the same kafkajs as owlpost's, with @factlib/kafka-sink's corrections (encoder garbage, record encoding, batch checksum, key hash, per-partition grouping, request timer)`,
    ],
    ...(java ? [javaRow(java)] : []),
    ...(javaFacts ? [javaFactsRow(javaFacts)] : []),
  ],
)}

The slot's confirmed_flush_lsn reached the backlog end ${drain.owlpost.secondsUntilSlotConfirmed} s after spawn
(owlpost confirms every STATUS_INTERVAL_MS = 1 s).

pg_recvlogical command: \`${drain.walReadLimit.command.replace(/postgres:\/\/[^ ]+/, '<dedicated database url>')}\`

Where the CPU went while owlpost drained (${drain.owlpost.secondsFromReady} s from /ready; machine busy
${(drain.owlpost.machineBusyShare * 100).toFixed(0)}% of ${machine.cores} cores):

${table(['process', 'CPU s', 'cores', 'CPU µs per fact'], cpuRows(drain.owlpost.cpuSeconds, drain.owlpost.secondsFromReady, drain.backlog.facts))}

pg_recvlogical run:
${table(['process', 'CPU s', 'cores', 'CPU µs per fact'], cpuRows(drain.walReadLimit.cpuSeconds, drain.walReadLimit.seconds, drain.backlog.facts))}

Bare kafkajs run:
${table(['process', 'CPU s', 'cores', 'CPU µs per fact'], cpuRows(drain.kafkaWriteLimit.cpuSeconds, drain.kafkaWriteLimit.seconds, drain.backlog.facts))}
${java ? javaDetails(java, drain.backlog.facts) : '\nJava producer limit: skipped (--no-java-producer).\n'}${javaFacts ? javaFactRecordsDetails(javaFacts, drain.backlog.facts) : ''}`)

  parts.push(`## 2. Steady latency

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
`)

  parts.push(`## 3. Memory

${table(
  ['when', 'peak RSS', 'how'],
  [
    [
      'backlog drain',
      `**${mib(Math.max(drain.owlpost.peakRssBytes, drain.owlpost.sampledPeakRssBytes))}**`,
      'VmHWM of the owlpost child after the drain (its life so far = start-up + drain)',
    ],
    [
      `Kafka outage (${outage.outageSeconds} s, writers at ${outage.rate} facts/s)`,
      `**${mib(outage.peakRssDuringOutageBytes)}**`,
      'largest VmRSS sampled every 200 ms while the broker was away, fresh owlpost',
    ],
    [
      'drain owlpost at /ready',
      mib(drain.owlpost.rssAtReadyBytes),
      'VmRSS when it first answered /ready (before reading)',
    ],
    ['before the outage', mib(outage.rssBeforeOutageBytes), 'VmRSS with writers running, Kafka up'],
    ['outage + catch-up', mib(outage.peakRssIncludingCatchUpBytes), 'VmHWM of that owlpost at the end'],
  ],
)}

owlpost's own process metrics at their largest RSS (heap = V8 heap, external = Buffers and other memory outside
the heap; RSS also holds code, the V8 and libuv runtime, and freed-but-unreturned pages):

${table(
  ['when', 'RSS', 'heap total', 'heap used', 'external'],
  (
    [
      ['drain', drain.owlpost.memoryAtPeak],
      ['Kafka outage', outage.memoryAtPeak],
    ] as const
  ).map(([when, breakdown]) =>
    breakdown
      ? [
          when,
          mib(breakdown.rssBytes),
          mib(breakdown.heapTotalBytes),
          mib(breakdown.heapUsedBytes),
          mib(breakdown.externalBytes),
        ]
      : [when, '-', '-', '-', '-'],
  ),
)}

During the outage ${outage.committedDuringOutage} facts were committed (${outage.failedCommits} commits failed); the broker
was away ${outage.brokerAwaySeconds} s (stop, ${outage.outageSeconds} s, restart until it answered), and owlpost had
delivered all ${outage.committedTotal} facts of the phase ${outage.catchUpSeconds} s after the broker was back.
`)

  parts.push(profileSection(report))
  parts.push('## 4. Package micro-benchmarks\n')
  if (report.packages.length === 0) parts.push('Skipped (--no-packages).\n')
  for (const result of report.packages) {
    parts.push(`### ${result.package}: ${result.status}

\`${result.command}\` (exit ${result.exitCode}, ${result.seconds.toFixed(0)} s, run after the phases above on the same
dedicated servers: FACTLIB_TEST_KAFKA_BROKERS / FACTLIB_TEST_DATABASE_URL pointed at them)

\`\`\`
${tail(result.output, 60)}
\`\`\`
`)
  }
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

function ratio(owlpost: number, limit: number): string {
  return (owlpost / limit).toFixed(2)
}

function javaDetails(java: JavaProducerResult, facts: number): string {
  const latency = java.latencyMs
  return javaRunDetails(
    'Java producer',
    `(send to acknowledgement per record, as ProducerPerformance counts it: avg ${latency.avg} ms,
p50 ${latency.p50} ms, p95 ${latency.p95} ms, p99 ${latency.p99} ms, p99.9 ${latency.p999} ms, max ${latency.max} ms;
${java.megabytesPerSecond} MB/s of values)`,
    java,
    facts,
  )
}

function javaFactRecordsDetails(java: JavaFactRecordsResult, facts: number): string {
  const latency = java.latencyMs
  return javaRunDetails(
    "Java producer with owlpost's records",
    `(send to acknowledgement per record, as the program counts it: avg ${latency.avg} ms,
p50 ${latency.p50} ms, p99 ${latency.p99} ms, max ${latency.max} ms)`,
    java,
    facts,
  )
}

/** A Java producer run's CPU table (wall time from the JVM's spawn) and its command line. */
function javaRunDetails(
  name: string,
  about: string,
  run: { cpuSeconds: Record<string, number>; secondsFromSpawn: number; command: string },
  facts: number,
): string {
  return `
${name} run ${about}:
${table(['process', 'CPU s', 'cores', 'CPU µs per fact'], cpuRows(run.cpuSeconds, run.secondsFromSpawn, facts))}

${name} command: \`${run.command.replace(/bootstrap\.servers=[^ ]+/, 'bootstrap.servers=<dedicated broker>')}\`
`
}

function tail(text: string, lines: number): string {
  const all = text.split('\n')
  return (all.length > lines ? ['…', ...all.slice(-lines)] : all).join('\n')
}

function profileSection(report: BenchReport): string {
  const profiled = report.profiled
  if (!profiled) return '## Where owlpost spends the drain\n\nSkipped (--profile-facts 0).\n'
  const pct = (share: number) => `${(share * 100).toFixed(1)}%`
  const profile = profiled.profile
  return `## Where owlpost spends the drain

A second backlog of ${profiled.facts} facts (same shape), drained after the phases above by a fresh owlpost under
\`node --cpu-prof\` (sampling costs some speed: ${profiled.factsPerSecond} facts/s here, ${profiled.seconds} s from /ready).
Only samples from /ready to the last acknowledgement count (${profile?.sampledMs ?? 0} ms sampled). Self time by area:

${
  profile
    ? table(
        ['area', 'share of owlpost wall time'],
        profile.byArea.map(({ area, share }) => [area, pct(share)]),
      )
    : 'No profile was written.'
}

CPU seconds in that window: ${Object.entries(profiled.cpuSeconds)
    .map(([name, seconds]) => `${name} ${seconds}`)
    .join(', ')}.

${
  profile
    ? `Top functions by self time:

${table(
  ['function', 'share'],
  profile.topFunctions.map(({ name, share }) => [codeSpan(name), pct(share)]),
)}`
    : ''
}
`
}

function codeSpan(text: string): string {
  return `\`${text.replaceAll('|', '\\|')}\``
}

function latencyCells(summary: LatencySummary): (string | number)[] {
  return [summary.p50, summary.p90, summary.p99, summary.p999, summary.max]
}
