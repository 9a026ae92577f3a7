export interface StatedInstallSize {
  /** The install command as written, e.g. `npm install @factlib/core effect   # about 29 MB, …`. */
  line: string
  /** The packages it installs. */
  packages: string[]
  bytes: number
}

const UNITS: Record<string, number> = { kB: 1_000, MB: 1_000_000 }

/**
 * The install sizes a README states, written as a comment on the install command in a ```sh
 * block: `npm install <packages>   # about <n> kB|MB[, anything]`. The figure is what the README
 * promises for those packages with everything they pull in (see installSize).
 */
export function statedInstallSizes(markdown: string): StatedInstallSize[] {
  const stated: StatedInstallSize[] = []
  let inShell = false
  for (const line of markdown.split('\n')) {
    if (line.startsWith('```')) {
      inShell = !inShell && /^```(sh|shell|bash)\b/.test(line)
      continue
    }
    if (!inShell) continue
    const match = /^npm install\s+([^#]+?)\s*#\s*about\s+(\d+(?:\.\d+)?)\s*(kB|MB)\b/.exec(line)
    if (!match) continue
    stated.push({
      line,
      packages: match[1]!.split(/\s+/).filter((word) => !word.startsWith('-')),
      bytes: Number(match[2]) * UNITS[match[3]!]!,
    })
  }
  return stated
}

/** The first section of a README, before its first `## ` heading: where it says what it installs. */
export function introduction(markdown: string): string {
  const heading = markdown.search(/^## /m)
  return heading === -1 ? markdown : markdown.slice(0, heading)
}
