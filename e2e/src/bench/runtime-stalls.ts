/**
 * owlpost's own runtime gauges (prom-client defaults, prefix owlpost_): garbage collection time by
 * kind, and event-loop lag. prom-client resets the lag histogram on every scrape, so a scrape at
 * the start of a window and one at its end give the lag within the window.
 */
export interface GcTotals {
  /** By kind (major, minor, incremental, weakcb): pauses, their total seconds, how many over 100 ms. */
  byKind: Record<string, { count: number; seconds: number; over100ms: number }>
}

function values(text: string, name: string): { labels: string; value: number }[] {
  const pattern = new RegExp(`^${name}(?:\\{([^}]*)\\})?\\s+([\\d.e+-]+)`, 'gm')
  return [...text.matchAll(pattern)].map(([, labels, value]) => ({
    labels: labels ?? '',
    value: Number(value),
  }))
}

const label = (labels: string, name: string) => new RegExp(`${name}="([^"]*)"`).exec(labels)?.[1]

export function gcTotals(text: string): GcTotals {
  const byKind: GcTotals['byKind'] = {}
  const entry = (kind: string) => {
    byKind[kind] ??= { count: 0, seconds: 0, over100ms: 0 }
    return byKind[kind]!
  }
  for (const { labels, value } of values(text, 'owlpost_nodejs_gc_duration_seconds_count')) {
    entry(label(labels, 'kind') ?? '?').count = value
  }
  for (const { labels, value } of values(text, 'owlpost_nodejs_gc_duration_seconds_sum')) {
    entry(label(labels, 'kind') ?? '?').seconds = value
  }
  for (const { labels, value } of values(text, 'owlpost_nodejs_gc_duration_seconds_bucket')) {
    if (label(labels, 'le') !== '0.1') continue
    const kind = entry(label(labels, 'kind') ?? '?')
    kind.over100ms = -value // completed below, once the count is known
  }
  for (const kind of Object.values(byKind)) kind.over100ms = kind.count + kind.over100ms
  return { byKind }
}

/** The growth of GC totals between two scrapes. */
export function gcWindow(before: GcTotals, after: GcTotals): GcTotals {
  const byKind: GcTotals['byKind'] = {}
  for (const [kind, end] of Object.entries(after.byKind)) {
    const start = before.byKind[kind] ?? { count: 0, seconds: 0, over100ms: 0 }
    byKind[kind] = {
      count: end.count - start.count,
      seconds: Number((end.seconds - start.seconds).toFixed(3)),
      over100ms: end.over100ms - start.over100ms,
    }
  }
  return { byKind }
}

/** Event-loop lag since the previous scrape, milliseconds. */
export function eventLoopLag(text: string): { p50: number; p99: number; max: number } {
  const ms = (name: string) => Number(((values(text, name)[0]?.value ?? Number.NaN) * 1000).toFixed(1))
  return {
    p50: ms('owlpost_nodejs_eventloop_lag_p50_seconds'),
    p99: ms('owlpost_nodejs_eventloop_lag_p99_seconds'),
    max: ms('owlpost_nodejs_eventloop_lag_max_seconds'),
  }
}
