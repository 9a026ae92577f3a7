import { Histogram, Registry } from 'prom-client'
import { describe, expect, it } from 'vitest'
import { BucketHistogram, defaultBuckets } from './bucket-histogram.js'

describe('BucketHistogram', () => {
  it('scrapes exactly as a prom-client histogram fed the same observations', async () => {
    const ours = new Registry()
    const theirs = new Registry()
    const histogram = new BucketHistogram('x_latency_seconds', 'Latency', ['topic', 'kind']).registerIn(ours)
    const reference = new Histogram({
      name: 'x_latency_seconds',
      help: 'Latency',
      labelNames: ['topic', 'kind'],
      registers: [theirs],
    })
    const observations: Array<[string, string, number, number]> = [
      ['shop.order', 'a', 0.003, 3],
      ['shop.order', 'a', 0.005, 1], // on a bound: counted in that bucket (le is inclusive)
      ['shop.order', 'b', 0.7, 2],
      ['shop.user', 'a', 42, 1], // beyond the last bound: +Inf only
      ['shop.user', 'a', 0, 5],
    ]
    for (const [topic, kind, value, count] of observations) {
      histogram.observe(value, count, topic, kind)
      for (let index = 0; index < count; index++) reference.observe({ topic, kind }, value)
    }
    expect(await ours.metrics()).toBe(await theirs.metrics())
  })

  it('renders a one-label histogram as prom-client does', async () => {
    const ours = new Registry()
    const theirs = new Registry()
    const histogram = new BucketHistogram('w_seconds', 'w', ['topic']).registerIn(ours)
    const reference = new Histogram({
      name: 'w_seconds',
      help: 'w',
      labelNames: ['topic'],
      registers: [theirs],
    })
    histogram.observe(0.02, 2, 'shop.order')
    reference.observe({ topic: 'shop.order' }, 0.02)
    reference.observe({ topic: 'shop.order' }, 0.02)
    expect(await ours.metrics()).toBe(await theirs.metrics())
  })

  it('renders a histogram without labels as prom-client does, zero buckets before any observation', async () => {
    const ours = new Registry()
    const theirs = new Registry()
    const buckets = [0.002, 0.01, 1]
    const histogram = new BucketHistogram('v_seconds', 'v', [], buckets).registerIn(ours)
    const reference = new Histogram({ name: 'v_seconds', help: 'v', buckets, registers: [theirs] })
    expect(await ours.metrics()).toBe(await theirs.metrics())
    histogram.observe(0.004, 3)
    histogram.observe(2, 1)
    for (const value of [0.004, 0.004, 0.004, 2]) reference.observe(value)
    expect(await ours.metrics()).toBe(await theirs.metrics())
    ours.resetMetrics()
    theirs.resetMetrics()
    expect(await ours.metrics()).toBe(await theirs.metrics())
  })

  it('uses the default Prometheus buckets, as the Go client does', () => {
    expect(defaultBuckets).toEqual([0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10])
    const reference = new Histogram({ name: 'y', help: 'y' }) as unknown as { upperBounds: number[] }
    expect(reference.upperBounds).toEqual(defaultBuckets)
  })

  it('forgets everything on reset', async () => {
    const registry = new Registry()
    const histogram = new BucketHistogram('z_seconds', 'z', ['a', 'b']).registerIn(registry)
    histogram.observe(0.1, 1, '1', '2')
    registry.resetMetrics()
    expect(await registry.metrics()).toBe('# HELP z_seconds z\n# TYPE z_seconds histogram\n')
  })
})
