import { cp, mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { run } from './run-command.js'

const NPM_QUIET = ['--no-audit', '--no-fund', '--loglevel=error']

/**
 * An empty project outside the repository with `specs` (tarballs, `name@range`) installed by npm,
 * as a stranger would install the published packages.
 */
export async function installStrangerProject(dir: string, specs: string[]): Promise<void> {
  await mkdir(dir, { recursive: true })
  await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'stranger', private: true }))
  await run('npm', ['install', ...NPM_QUIET, ...specs], { cwd: dir, timeoutMs: 300_000 })
}

/**
 * A copy of a stranger project with one package changed (`postgres@^4.0.0`): npm reuses everything
 * else already installed, so a second driver major costs one package's download, not a whole install.
 */
export async function cloneStrangerProject(from: string, to: string, spec: string): Promise<void> {
  await cp(from, to, { recursive: true, verbatimSymlinks: true })
  await run('npm', ['install', ...NPM_QUIET, spec], { cwd: to, timeoutMs: 300_000 })
}
