import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

export interface PublishedPackage {
  name: string
  version: string
  dir: string
  /** Subpaths of `exports` that name code, e.g. `.` and `./wire` (not `./package.json`). */
  entries: string[]
  /** Subpaths of `exports` that name a file other than code or the manifest, e.g. `./fact_envelope.proto`. */
  files: string[]
  dependencies: Record<string, string>
  peerDependencies: Record<string, string>
  devDependencies: Record<string, string>
  readme: string
}

/**
 * The workspace packages that get published: every package under the workspace folders that is
 * not private. Found rather than listed, so a new package is checked from its first commit.
 */
export function publishedPackages(root: string): PublishedPackage[] {
  const found: PublishedPackage[] = []
  for (const folder of workspaceFolders(root)) {
    for (const entry of readdirSync(join(root, folder), { withFileTypes: true })) {
      if (!entry.isDirectory()) continue
      const dir = join(root, folder, entry.name)
      let manifest: Record<string, unknown>
      try {
        manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'))
      } catch {
        continue
      }
      if (manifest.private === true) continue
      const subpaths = Object.keys((manifest.exports ?? {}) as Record<string, unknown>)
      found.push({
        name: String(manifest.name),
        version: String(manifest.version),
        dir,
        entries: subpaths.filter((subpath) => !NAMES_A_FILE.test(subpath)),
        files: subpaths.filter((subpath) => NAMES_A_FILE.test(subpath) && subpath !== './package.json'),
        dependencies: (manifest.dependencies ?? {}) as Record<string, string>,
        peerDependencies: (manifest.peerDependencies ?? {}) as Record<string, string>,
        devDependencies: (manifest.devDependencies ?? {}) as Record<string, string>,
        readme: readFileSync(join(dir, 'README.md'), 'utf8'),
      })
    }
  }
  return found.sort((a, b) => a.name.localeCompare(b.name))
}

/** A subpath whose last segment has an extension other than a JavaScript one: `./package.json`, `./x.proto`. */
const NAMES_A_FILE = /\.(?![cm]?js$)[^./]+$/

/** `packages/*` and the like, from pnpm-workspace.yaml (only its `- folder/*` lines). */
function workspaceFolders(root: string): string[] {
  const text = readFileSync(join(root, 'pnpm-workspace.yaml'), 'utf8')
  return [...text.matchAll(/^\s*-\s*['"]?([^'"\s]+)\/\*['"]?\s*$/gm)].map((match) => match[1]!)
}

/** The import specifier of an entry: `@factlib/core` for `.`, `@factlib/core/wire` for `./wire`. */
export function specifierOf(pkg: PublishedPackage, entry: string): string {
  return entry === '.' ? pkg.name : `${pkg.name}${entry.slice(1)}`
}
