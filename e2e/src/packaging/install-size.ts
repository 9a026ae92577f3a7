import { readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join } from 'node:path'

/**
 * Bytes on disk of a package (or of several, counted once together) installed by npm with
 * everything it pulls in: its dependencies and required peer dependencies, recursively, each
 * resolved the way Node finds it (nearest node_modules first). Optional peers are left out: npm
 * does not install them. Apparent size of the files, as `du --apparent-size` would count them less
 * the folders themselves.
 */
export function installSize(
  projectDir: string,
  names: string | readonly string[],
): { bytes: number; packages: string[] } {
  const seen = new Set<string>()
  const visit = (fromDir: string, dependency: string) => {
    const dir = locate(fromDir, dependency)
    if (!dir || seen.has(dir)) return
    seen.add(dir)
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'))
    const optionalPeers = manifest.peerDependenciesMeta ?? {}
    const requiredPeers = Object.keys(manifest.peerDependencies ?? {}).filter(
      (peer) => !optionalPeers[peer]?.optional,
    )
    for (const next of [...Object.keys(manifest.dependencies ?? {}), ...requiredPeers]) visit(dir, next)
  }
  for (const name of typeof names === 'string' ? [names] : names) visit(projectDir, name)
  let bytes = 0
  const packages: string[] = []
  for (const dir of seen) {
    bytes += folderBytes(dir, true)
    packages.push(JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).name)
  }
  return { bytes, packages }
}

function locate(fromDir: string, name: string): string | undefined {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name)
    try {
      if (statSync(join(candidate, 'package.json')).isFile()) return candidate
    } catch {}
    if (dirname(dir) === dir) return undefined
  }
}

/** Apparent size of a package folder; packages nested in its node_modules are counted on their own. */
function folderBytes(dir: string, isPackageRoot: boolean): number {
  let total = 0
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (isPackageRoot && entry.name === 'node_modules') continue
    const path = join(dir, entry.name)
    if (entry.isDirectory()) total += folderBytes(path, false)
    else if (entry.isFile()) total += statSync(path).size
  }
  return total
}

export function megabytes(bytes: number): string {
  return `${(bytes / 1_000_000).toFixed(1)} MB`
}
