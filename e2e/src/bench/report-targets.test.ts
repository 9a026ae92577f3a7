import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { BenchReport } from './report.js'
import { targetsOf } from './report-targets.js'

// The committed report is a whole, real BenchReport; each case changes one peak.
const committed: BenchReport = JSON.parse(
  readFileSync(join(import.meta.dirname, '..', '..', '..', 'bench', 'results', 'latest.json'), 'utf8'),
)

function drainTarget(peakBytes: number) {
  const report = structuredClone(committed)
  report.drain.owlpost.peakRssBytes = peakBytes
  report.drain.owlpost.sampledPeakRssBytes = 0
  return targetsOf(report).find((target) => target.name === 'peak RSS during the drain')!
}

describe('the RSS targets', () => {
  it('compare in the unit they state: 150 MB, which is 143.1 MiB', () => {
    expect(drainTarget(149_000_000)).toMatchObject({ met: true, target: '<= 150 MB (143.1 MiB)' })
    // 145 MiB reads as under "150" when the two units are mixed up, and is over 150 MB.
    expect(drainTarget(145 * 2 ** 20)).toMatchObject({ met: false, value: '145.0 MiB' })
  })
})
