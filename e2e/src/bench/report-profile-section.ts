import type { BenchReport } from './report.js'
import { codeSpan, table } from './report-format.js'

export function profileSection(report: BenchReport): string {
  const profiled = report.profiled
  if (!profiled) return '## Where owlpost spends the drain\n\nSkipped (--profile-facts 0).\n'
  const pct = (share: number) => `${(share * 100).toFixed(1)}%`
  const profile = profiled.profile
  return `## Where owlpost spends the drain

A second backlog of ${profiled.facts} facts (same shape), drained after the phases above by a fresh owlpost under
\`node --cpu-prof\` (sampling costs some speed: ${profiled.factsPerSecond} facts/s here, ${profiled.seconds} s from /ready).
Only samples from /ready to the last acknowledgement count (${profile?.sampledMs ?? 0} ms sampled). Self time by area:

${
  profile
    ? table(
        ['area', 'share of owlpost wall time'],
        profile.byArea.map(({ area, share }) => [area, pct(share)]),
      )
    : 'No profile was written.'
}

CPU seconds in that window: ${Object.entries(profiled.cpuSeconds)
    .map(([name, seconds]) => `${name} ${seconds}`)
    .join(', ')}.

${
  profile
    ? `Top functions by self time:

${table(
  ['function', 'share'],
  profile.topFunctions.map(({ name, share }) => [codeSpan(name), pct(share)]),
)}`
    : ''
}
`
}
