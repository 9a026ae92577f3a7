import type { LatencySummary } from './percentiles.js'

// Formatting shared by the report's sections.

export const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`

/**
 * owlpost's RSS target: 150 MB, decimal (143.1 MiB). Values print in MiB, so the target prints in
 * both units; comparing bytes to bytes keeps the two from drifting apart again.
 */
export const rssLimitBytes = 150e6
export const rssLimitText = `150 MB (${mib(rssLimitBytes)})`

export function peakOfDrain(drain: {
  owlpost: { peakRssBytes: number; sampledPeakRssBytes: number }
}): number {
  return Math.max(drain.owlpost.peakRssBytes, drain.owlpost.sampledPeakRssBytes)
}

export function table(header: string[], rows: (string | number)[][]): string {
  const line = (cells: (string | number)[]) => `| ${cells.join(' | ')} |`
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n')
}

export function cpuRows(
  cpu: Record<string, number>,
  wallSeconds: number,
  facts: number,
): (string | number)[][] {
  return Object.entries(cpu).map(([name, seconds]) => [
    name,
    seconds.toFixed(2),
    (seconds / wallSeconds).toFixed(2),
    facts > 0 ? ((seconds * 1e6) / facts).toFixed(1) : '-',
  ])
}

export function ratio(owlpost: number, limit: number): string {
  return (owlpost / limit).toFixed(2)
}

export function tail(text: string, lines: number): string {
  const all = text.split('\n')
  return (all.length > lines ? ['…', ...all.slice(-lines)] : all).join('\n')
}

export function codeSpan(text: string): string {
  return `\`${text.replaceAll('|', '\\|')}\``
}

export function latencyCells(summary: LatencySummary): (string | number)[] {
  return [summary.p50, summary.p90, summary.p99, summary.p999, summary.max]
}
