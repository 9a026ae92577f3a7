import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { type PublishedPackage, specifierOf } from './published-packages.js'

// Programs that load every entry of every package, written into a stranger project.

/**
 * Writes a program that imports every entry of every package, and a tsconfig as a TypeScript 7
 * user's `tsc --init` starts one (`types: []`), stricter: library declarations checked too, and
 * only the ES library, so neither the DOM nor an @types package lends a name the declarations use.
 */
export async function writeEntriesCheck(project: string, packages: PublishedPackage[]): Promise<void> {
  const specifiers = packages.flatMap((pkg) => pkg.entries.map((entry) => specifierOf(pkg, entry)))
  const imports = specifiers.map((specifier, index) => `import * as entry${index} from '${specifier}'`)
  imports.push(`export const entries = [${specifiers.map((_, index) => `entry${index}`).join(', ')}]`)
  await writeFile(join(project, 'entries', 'entries.mts'), `${imports.join('\n')}\n`)
  await writeFile(
    join(project, 'entries', 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        strict: true,
        module: 'nodenext',
        target: 'es2023',
        lib: ['es2023'],
        types: [],
        skipLibCheck: false,
        noEmit: true,
      },
      files: ['entries.mts'],
    }),
  )
}

/** Writes a CommonJS file that require()s every entry, and a .cts that type-checks the same imports. */
export async function writeRequireChecks(project: string, packages: PublishedPackage[]): Promise<void> {
  const specifiers = packages.flatMap((pkg) => pkg.entries.map((entry) => specifierOf(pkg, entry)))
  const runtime = specifiers.map(
    (specifier) =>
      `{ const loaded = require('${specifier}'); if (Object.keys(loaded).length === 0) throw new Error('${specifier} exports nothing'); console.log('${specifier}', Object.keys(loaded).length) }`,
  )
  await writeFile(join(project, 'require', 'entries.cjs'), `${runtime.join('\n')}\n`)
  const typed = specifiers.map((specifier, index) => `import entry${index} = require('${specifier}')`)
  typed.push(`export const entries = [${specifiers.map((_, index) => `entry${index}`).join(', ')}]`)
  await writeFile(join(project, 'require', 'entries.cts'), `${typed.join('\n')}\n`)
}
