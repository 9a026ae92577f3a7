/** Nearest-rank percentile of sorted values (p in 0..100). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN
  const rank = Math.ceil((p / 100) * sorted.length)
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!
}

export function summarize(values: number[]) {
  const sorted = [...values].sort((a, b) => a - b)
  return {
    count: sorted.length,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    p999: percentile(sorted, 99.9),
    max: sorted.at(-1) ?? Number.NaN,
  }
}

export interface LatencySummary {
  count: number
  p50: number
  p90: number
  p99: number
  p999: number
  max: number
}

/** The percentiles of latencies in milliseconds, rounded to 0.1 ms for the report. */
export function summarizeMs(values: number[]): LatencySummary {
  const summary = summarize(values)
  const ms = (value: number) => Number(value.toFixed(1))
  return {
    count: summary.count,
    p50: ms(summary.p50),
    p90: ms(summary.p90),
    p99: ms(summary.p99),
    p999: ms(summary.p999),
    max: ms(summary.max),
  }
}
