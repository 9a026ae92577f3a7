import { execFileSync } from 'node:child_process'
import { chmodSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs'
import { arch, tmpdir } from 'node:os'
import { join } from 'node:path'
import { cacheDir } from '../cache-dir.js'
import type { PostgresMajor } from './version.js'

/**
 * PostgreSQL server builds that Maven Central serves as jars (zonky's embedded-postgres
 * binaries): each holds a .txz with bin/initdb, bin/postgres, lib (pgoutput, the shared
 * libraries) and share. Client tools are not in them.
 */
const releases: Record<PostgresMajor, string> = { 15: '15.13.0', 16: '16.9.0', 17: '17.5.0' }

const artifactArch: Record<string, string> = { x64: 'amd64', arm64: 'arm64v8' }

export function fetchedPostgresRelease(major: PostgresMajor): string {
  return releases[major]
}

function run(command: string, args: string[], what: string): void {
  try {
    execFileSync(command, args, { stdio: 'pipe' })
  } catch (error) {
    const failure = error as { stderr?: Buffer; stdout?: Buffer; message: string }
    const output = `${failure.stdout?.toString() ?? ''}${failure.stderr?.toString() ?? ''}` || failure.message
    throw new Error(`${what} failed (${command} ${args.join(' ')}):\n${output}`)
  }
}

/** The jar in the cache, resolved from Maven Central by Maven once: `<cache>/postgres-<release>/`. */
function cachedArchive(release: string): string {
  const machine = artifactArch[arch()]
  if (!machine) throw new Error(`no PostgreSQL binaries on Maven Central for this machine (${arch()})`)
  const artifact = `embedded-postgres-binaries-linux-${machine}`
  const dir = join(cacheDir(), `postgres-${release}`)
  const archive = join(dir, 'postgres.txz')
  if (existsSync(archive)) return archive
  const partial = `${dir}.partial`
  rmSync(partial, { recursive: true, force: true })
  mkdirSync(partial, { recursive: true })
  run(
    'mvn',
    [
      '-q',
      '-B',
      'dependency:copy',
      `-Dartifact=io.zonky.test.postgres:${artifact}:${release}`,
      `-DoutputDirectory=${partial}`,
    ],
    `resolving PostgreSQL ${release} from Maven Central (needs mvn and java on PATH)`,
  )
  const jar = join(partial, `${artifact}-${release}.jar`)
  // A jar is a zip; unzip where Debian has it, else the JDK's jar tool that Maven came with.
  const tool = existsSync('/usr/bin/unzip') ? 'unzip' : 'jar'
  if (tool === 'unzip') run('unzip', ['-q', '-o', jar, '-d', partial], `unpacking ${jar}`)
  else execFileSync('jar', ['xf', jar], { cwd: partial, stdio: 'pipe' })
  const packed = readdirSync(partial).find((name) => name.endsWith('.txz'))
  if (!packed) throw new Error(`${jar} holds no .txz of PostgreSQL binaries`)
  renameSync(join(partial, packed), join(partial, 'postgres.txz'))
  rmSync(jar)
  rmSync(dir, { recursive: true, force: true })
  renameSync(partial, dir)
  return archive
}

/**
 * The bin directory of PostgreSQL `major` fetched from Maven Central. Unpacked under the system
 * temp dir rather than the cache: as root the server runs as the postgres account, which cannot
 * reach a cache under /root.
 */
export function fetchedPostgresBinDir(major: PostgresMajor): string {
  const release = releases[major]
  const root = join(tmpdir(), `factlib-postgres-${release}`)
  const bin = join(root, 'bin')
  if (existsSync(join(bin, 'postgres'))) return bin
  const archive = cachedArchive(release)
  const partial = `${root}.partial-${process.pid}`
  rmSync(partial, { recursive: true, force: true })
  mkdirSync(partial, { recursive: true })
  run('tar', ['-xJf', archive, '-C', partial], `unpacking ${archive}`)
  chmodSync(partial, 0o755)
  try {
    renameSync(partial, root)
  } catch (error) {
    // Another test process unpacked it first.
    rmSync(partial, { recursive: true, force: true })
    if (!existsSync(join(bin, 'postgres'))) throw error
  }
  return bin
}
