import type { BenchReport } from './report.js'
import { mib, peakOfDrain, table } from './report-format.js'

/** Section 3: peak RSS in the drain and through a Kafka outage. */
export function memorySection(report: BenchReport): string {
  const { drain, outage } = report
  return `## 3. Memory

${table(
  ['when', 'peak RSS', 'how'],
  [
    [
      'backlog drain',
      `**${mib(peakOfDrain(drain))}**`,
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
`
}
