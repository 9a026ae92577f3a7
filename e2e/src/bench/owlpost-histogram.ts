/** Cumulative bucket counts of owlpost_commit_to_ack_seconds, by upper bound (seconds). */
export function commitToAckBuckets(metricsText: string): Map<number, number> {
  const buckets = new Map<number, number>()
  const pattern = /^owlpost_commit_to_ack_seconds_bucket\{[^}]*le="([^"]+)"[^}]*\}\s+([\d.e+]+)/gm
  for (const [, le, count] of metricsText.matchAll(pattern)) {
    const bound = le === '+Inf' ? Number.POSITIVE_INFINITY : Number(le)
    buckets.set(bound, (buckets.get(bound) ?? 0) + Number(count))
  }
  return buckets
}

/**
 * owlpost's own view of a window: the histogram's growth between two scrapes, as the share of
 * facts at or under each bound, and the bucket bound holding p50 and p99.
 */
export function histogramWindow(before: Map<number, number>, after: Map<number, number>) {
  const bounds = [...after.keys()].sort((a, b) => a - b)
  const counts = bounds.map((bound) => (after.get(bound) ?? 0) - (before.get(bound) ?? 0))
  const total = counts.at(-1) ?? 0
  const quantileBound = (q: number) => {
    const index = counts.findIndex((count) => count >= q * total)
    return index < 0 ? Number.NaN : bounds[index]!
  }
  return {
    count: total,
    p50AtMostSeconds: quantileBound(0.5),
    p99AtMostSeconds: quantileBound(0.99),
    cumulativeShare: bounds.map((bound, i) => ({
      le: Number.isFinite(bound) ? bound : '+Inf',
      share: total > 0 ? Number((counts[i]! / total).toFixed(4)) : 0,
    })),
  }
}
