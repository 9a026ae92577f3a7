import type { GuaranteeComparison, GuaranteeRow } from './guarantee-phase.js'
import type { BenchReport, Target } from './report.js'
import { mib, peakOfDrain, rssLimitBytes, rssLimitText } from './report-format.js'

/**
 * The steady-latency target, from baselines of the same run: absolute milliseconds on this machine
 * swing by a factor of four from run to run, Kafka and PostgreSQL alone with them.
 */
export function latencyTargetMs(report: BenchReport): number {
  const { baselines } = report
  return Number((baselines.kafkaAck.p99 + baselines.walDelivery.p99 + 10).toFixed(1))
}

export function targetsOf(report: BenchReport): Target[] {
  const { drain, latency, outage, baselines } = report
  const drainPeak = peakOfDrain(drain)
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
      target: `<= ${rssLimitText}`,
      met: drainPeak <= rssLimitBytes,
    },
    {
      name: 'peak RSS during the Kafka outage',
      value: mib(outage.peakRssDuringOutageBytes),
      target: `<= ${rssLimitText}`,
      met: outage.peakRssDuringOutageBytes <= rssLimitBytes,
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
      target: `<= ${rssLimitText}`,
      met: exactlyOnce.peakRssBytes <= rssLimitBytes,
    },
  ]
}
