import type { OwlpostProcess } from '../support/owlpost-process.js'

/** Sum of owlpost_facts_delivered_total over the topics of `prefix` (`<prefix>.<aggregateType>`). */
export function deliveredFor(metricsText: string, prefix: string): number {
  let total = 0
  const pattern = /^owlpost_facts_delivered_total\{[^}]*topic="([^"]+)"[^}]*\}\s+([\d.e+]+)/gm
  for (const [, topic, value] of metricsText.matchAll(pattern)) {
    if (topic!.startsWith(`${prefix}.`)) total += Number(value)
  }
  return total
}

/**
 * Polls /metrics every `intervalMs` until `target` facts of `prefix` are delivered (acknowledged
 * by Kafka); resolves with the moment it saw that (performance.now()). A scrape that fails while
 * owlpost starts or Kafka is away is retried.
 */
export async function waitUntilDelivered(
  owlpost: OwlpostProcess,
  prefix: string,
  target: number,
  options: { timeoutMs: number; intervalMs?: number; onMetrics?: (text: string) => void },
): Promise<{ at: number; delivered: number }> {
  const deadline = performance.now() + options.timeoutMs
  let delivered = 0
  for (;;) {
    try {
      const text = await owlpost.metrics()
      options.onMetrics?.(text)
      delivered = deliveredFor(text, prefix)
      if (delivered >= target) return { at: performance.now(), delivered }
    } catch {
      // not listening yet
    }
    if (performance.now() > deadline) {
      throw new Error(
        `owlpost delivered ${delivered} of ${target} facts of ${prefix} within ${options.timeoutMs} ms:\n` +
          owlpost.output.slice(-15).join('\n'),
      )
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 100))
  }
}
