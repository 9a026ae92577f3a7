import { describe, expect, it } from 'vitest'
import { overflowLabel } from './label-cap.js'
import { createMetrics } from './metrics.js'

describe('labels producers choose are capped', () => {
  it('keeps 500 topics their own series, counts the rest under __overflow__, and says how many', async () => {
    const metrics = createMetrics()
    for (let index = 0; index < 10_000; index++) {
      metrics.factsDelivered.inc({ topic: metrics.labels.topic.of(`p.type-${index}`) })
    }
    // The same topic again keeps its own series.
    metrics.factsDelivered.inc({ topic: metrics.labels.topic.of('p.type-7') })
    const text = await metrics.registry.metrics()
    const series = text.split('\n').filter((line) => line.startsWith('owlpost_facts_delivered_total{'))
    expect(series).toHaveLength(501)
    expect(text).toContain(`owlpost_facts_delivered_total{topic="${overflowLabel}"} 9500`)
    expect(text).toContain('owlpost_facts_delivered_total{topic="p.type-7"} 2')
    expect(text).toContain('owlpost_metric_label_overflow_total{label="topic"} 9500')
  })

  it('caps aggregate and event types apart from topics', () => {
    const metrics = createMetrics()
    for (let index = 0; index < 600; index++) metrics.labels.eventType.of(`e-${index}`)
    expect(metrics.labels.eventType.of('e-1')).toBe('e-1')
    expect(metrics.labels.eventType.of('e-599')).toBe(overflowLabel)
    expect(metrics.labels.aggregateType.of('a-599')).toBe('a-599')
  })
})
