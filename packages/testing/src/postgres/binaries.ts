import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { fetchedPostgresBinDir } from './fetched-binaries.js'
import { type PostgresMajor, postgresMajor } from './version.js'

/** Debian's (or pg_config's) server binaries of this major version, when installed. */
function installedBinDir(major: PostgresMajor): string | undefined {
  const debian = join('/usr/lib/postgresql', String(major), 'bin')
  if (existsSync(join(debian, 'initdb'))) return debian
  try {
    const dir = execFileSync('pg_config', ['--bindir'], { encoding: 'utf8', stdio: 'pipe' }).trim()
    const version = execFileSync('pg_config', ['--version'], { encoding: 'utf8', stdio: 'pipe' })
    if (existsSync(join(dir, 'initdb')) && version.includes(` ${major}.`)) return dir
  } catch {
    // no pg_config on PATH
  }
  return undefined
}

function hasMaven(): boolean {
  try {
    execFileSync('mvn', ['--version'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

/** Whether postgresBinDir() can find or fetch a server, without fetching. */
export function postgresBinariesAvailable(major: PostgresMajor = postgresMajor()): boolean {
  return !!process.env.FACTLIB_PG_BIN || !!installedBinDir(major) || hasMaven()
}

/**
 * The directory holding initdb and postgres of the version the tests run on
 * (FACTLIB_TEST_POSTGRES_VERSION): FACTLIB_PG_BIN, an installed one, else the build from
 * Maven Central, fetched into the cache on first use.
 */
export function postgresBinDir(major: PostgresMajor = postgresMajor()): string {
  const fromEnv = process.env.FACTLIB_PG_BIN
  if (fromEnv) return fromEnv
  return installedBinDir(major) ?? fetchedPostgresBinDir(major)
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
