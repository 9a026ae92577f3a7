import { Counter, type Registry } from 'prom-client'

/** The label value every value past the cap is counted under. */
export const overflowLabel = '__overflow__'

/**
 * Bounds the distinct values of one label whose values producers choose (topics, aggregate and
 * event types). Every series costs memory for the life of the process, and a producer bug that
 * writes a fresh type per fact would otherwise grow the heap of a process capped at 64 MB until
 * it dies. The first `max` values keep their own series; later ones share `__overflow__`, and
 * each fact counted there is counted in owlpost_metric_label_overflow_total too.
 */
export class LabelCap {
  readonly #admitted = new Set<string>()
  readonly #overflowed: Counter.Internal

  constructor(
    label: string,
    private readonly max: number,
    overflow: Counter<'label'>,
  ) {
    this.#overflowed = overflow.labels(label)
  }

  /** The label value to use for `value`. Only the first sight of a value costs more than a lookup. */
  of(value: string): string {
    if (this.#admitted.has(value)) return value
    if (this.#admitted.size < this.max) {
      this.#admitted.add(value)
      return value
    }
    this.#overflowed.inc()
    return overflowLabel
  }
}

/** The caps of the labels producers choose, sharing one overflow counter. */
export function createLabelCaps(registry: Registry, max = 500) {
  const overflow = new Counter({
    name: 'owlpost_metric_label_overflow_total',
    help: `Facts counted under the ${overflowLabel} label value because that label already had ${max} distinct values`,
    labelNames: ['label'] as const,
    registers: [registry],
  })
  return {
    topic: new LabelCap('topic', max, overflow),
    aggregateType: new LabelCap('aggregate_type', max, overflow),
    eventType: new LabelCap('event_type', max, overflow),
  }
}

export type LabelCaps = ReturnType<typeof createLabelCaps>
