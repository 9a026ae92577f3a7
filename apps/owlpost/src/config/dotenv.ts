import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { parseEnv } from 'node:util'

export interface DotenvResult {
  /** The file read, absolute. */
  path: string
  /** Variables taken from it: those the environment did not set already. */
  applied: string[]
}

/**
 * Loads a `.env` file into `env` the way the Go owlpost does (godotenv.Load): variables already
 * set in the environment win, a missing file is no error. Returns what was read, or undefined
 * when there is no file. Node's own parser reads the format: `KEY=value`, `export KEY=value`,
 * quotes, `#` comments.
 */
export function loadDotenv(env: NodeJS.ProcessEnv, file = '.env'): DotenvResult | undefined {
  const path = resolve(file)
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw new Error(`cannot read ${path}: ${(error as Error).message}`)
  }
  const applied: string[] = []
  for (const [name, value] of Object.entries(parseEnv(text))) {
    if (env[name] !== undefined) continue
    env[name] = value
    applied.push(name)
  }
  return { path, applied }
}
