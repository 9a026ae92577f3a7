import { execFileSync } from 'node:child_process'
import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'

/** The directory holding initdb and postgres: FACTLIB_PG_BIN, the newest Debian install, or pg_config's. */
export function postgresBinDir(): string | undefined {
  const fromEnv = process.env.FACTLIB_PG_BIN
  if (fromEnv) return fromEnv
  const debianRoot = '/usr/lib/postgresql'
  if (existsSync(debianRoot)) {
    const versions = readdirSync(debianRoot)
      .filter((name) => existsSync(join(debianRoot, name, 'bin', 'initdb')))
      .sort((a, b) => Number(b) - Number(a))
    if (versions[0]) return join(debianRoot, versions[0], 'bin')
  }
  try {
    const dir = execFileSync('pg_config', ['--bindir'], { encoding: 'utf8' }).trim()
    if (existsSync(join(dir, 'initdb'))) return dir
  } catch {
    // no pg_config on PATH
  }
  return undefined
}

/** PostgreSQL refuses to run as root; when we are root, run it as this account. */
export function unprivilegedAccount(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined
  const name = process.env.FACTLIB_PG_OS_USER ?? 'postgres'
  try {
    const uid = Number(execFileSync('id', ['-u', name], { encoding: 'utf8' }).trim())
    const gid = Number(execFileSync('id', ['-g', name], { encoding: 'utf8' }).trim())
    return { uid, gid }
  } catch {
    throw new Error(
      `running as root and there is no '${name}' account to run PostgreSQL as; ` +
        'create one (useradd postgres) or set FACTLIB_PG_OS_USER',
    )
  }
}
