/** What owlpost's own process metrics (prom-client defaults, prefix owlpost_) say its memory is. */
export interface MemoryBreakdown {
  rssBytes: number
  heapTotalBytes: number
  heapUsedBytes: number
  externalBytes: number
}

function gauge(text: string, name: string): number {
  const match = new RegExp(`^${name}(?:\\{[^}]*\\})?\\s+([\\d.e+]+)`, 'm').exec(text)
  return match ? Number(match[1]) : 0
}

export function memoryBreakdown(metricsText: string): MemoryBreakdown {
  return {
    rssBytes: gauge(metricsText, 'owlpost_process_resident_memory_bytes'),
    heapTotalBytes: gauge(metricsText, 'owlpost_nodejs_heap_size_total_bytes'),
    heapUsedBytes: gauge(metricsText, 'owlpost_nodejs_heap_size_used_bytes'),
    externalBytes: gauge(metricsText, 'owlpost_nodejs_external_memory_bytes'),
  }
}

/** Keeps the breakdown seen at the largest RSS. */
export function largestBreakdown() {
  let largest: MemoryBreakdown | undefined
  return {
    offer(metricsText: string) {
      const breakdown = memoryBreakdown(metricsText)
      if (!largest || breakdown.rssBytes > largest.rssBytes) largest = breakdown
    },
    get value(): MemoryBreakdown | undefined {
      return largest
    },
  }
}
