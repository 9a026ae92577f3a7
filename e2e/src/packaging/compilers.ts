import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'

export interface Compiler {
  /** e.g. `TypeScript 5.9.3` */
  name: string
  /** The `tsc` script, run with `node`. */
  tsc: string
}

// The compilers a user of the packages may have: the last of TypeScript 5 and TypeScript 7 (the
// native one, which no longer loads every installed @types package by itself). Installed in e2e
// under aliases, so they stay what users meet whichever TypeScript the repository builds with.
const ALIASES = ['typescript-5', 'typescript-7']

export function userCompilers(e2eDir: string): Compiler[] {
  const resolve = createRequire(join(e2eDir, 'package.json')).resolve
  return ALIASES.map((alias) => {
    const manifestPath = resolve(`${alias}/package.json`)
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'))
    return { name: `TypeScript ${manifest.version}`, tsc: join(dirname(manifestPath), manifest.bin.tsc) }
  })
}
