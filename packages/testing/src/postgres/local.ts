import { execFileSync } from 'node:child_process'
import { chmodSync, chownSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import postgres from 'postgres'
import { freePort } from '../free-port.js'
import { ServerProcess } from '../process-handle.js'
import type { PostgresService } from '../services.js'
import { waitFor } from '../wait.js'
import { postgresBinDir, unprivilegedAccount } from './binaries.js'
import { logicalReplicationSettings, type PostgresOptions } from './settings.js'

const superuser = 'postgres'

/** A local server and where it keeps its files, for building a standby from it. */
export interface LocalPostgres extends PostgresService {
  readonly backend: 'local'
  /** The temp directory holding data/, socket/ and server.log. */
  readonly root: string
  readonly dataDir: string
  readonly bin: string
}

/** A fresh temp directory with data/ and socket/, owned by the account PostgreSQL runs as. */
export function makeServerRoot(): string {
  const account = unprivilegedAccount()
  const root = mkdtempSync(join(tmpdir(), 'factlib-pg-'))
  const socketDir = join(root, 'socket')
  execFileSync('mkdir', ['-p', socketDir])
  if (account) {
    chownSync(root, account.uid, account.gid)
    chownSync(socketDir, account.uid, account.gid)
  }
  chmodSync(root, 0o755)
  return root
}

/** An ephemeral cluster: initdb into a temp dir, then the postmaster in its own process group. */
export async function startLocalPostgres(options: PostgresOptions = {}): Promise<LocalPostgres> {
  const bin = postgresBinDir()
  const account = unprivilegedAccount()
  const root = makeServerRoot()
  const dataDir = join(root, 'data')
  const password = options.password ?? ''
  const pwFile = join(root, 'pwfile')
  writeFileSync(pwFile, `${password || 'unused'}\n`)
  if (account) chownSync(pwFile, account.uid, account.gid)

  execFileSync(
    join(bin, 'initdb'),
    [
      '-D',
      dataDir,
      '-U',
      superuser,
      '--auth=trust',
      '-E',
      'UTF8',
      '--locale=C',
      '--no-sync',
      `--pwfile=${pwFile}`,
    ],
    { uid: account?.uid, gid: account?.gid, stdio: 'pipe' },
  )
  const hba = [
    ...(options.hba ?? []),
    'local all all trust',
    'local replication all trust',
    'host all all 127.0.0.1/32 trust',
    'host replication all 127.0.0.1/32 trust',
  ]
  writeFileSync(join(dataDir, 'pg_hba.conf'), `${hba.join('\n')}\n`)
  for (const [name, content] of Object.entries(options.files ?? {})) {
    const path = join(dataDir, name)
    writeFileSync(path, content, { mode: 0o600 })
    if (account) chownSync(path, account.uid, account.gid)
  }
  return serveLocalPostgres(root, options)
}

/**
 * Runs the postmaster on the data directory `<root>/data` (made by initdb, or copied from a
 * primary for a standby) on a free port, and waits until it answers.
 */
export async function serveLocalPostgres(
  root: string,
  options: PostgresOptions = {},
  /** A given port, e.g. a dead server's, so a host list naming it stays valid. Default: a free one. */
  fixedPort?: number,
): Promise<LocalPostgres> {
  const bin = postgresBinDir()
  const account = unprivilegedAccount()
  const dataDir = join(root, 'data')
  const socketDir = join(root, 'socket')
  const password = options.password ?? ''
  const port = fixedPort ?? (await freePort())
  const settings = {
    ...logicalReplicationSettings,
    fsync: 'off',
    full_page_writes: 'off',
    ...options.settings,
    port: String(port),
    listen_addresses: '127.0.0.1',
    unix_socket_directories: socketDir,
  }
  const args = [
    '-D',
    dataDir,
    ...Object.entries(settings).flatMap(([key, value]) => ['-c', `${key}=${value}`]),
  ]
  const server = new ServerProcess(join(bin, 'postgres'), args, join(root, 'server.log'), {
    uid: account?.uid,
    gid: account?.gid,
    cwd: root,
  })

  const credentials = password ? `${superuser}:${encodeURIComponent(password)}` : superuser
  const urlFor: PostgresService['urlFor'] = (database, as) => {
    const auth = as ? (as.password ? `${as.user}:${encodeURIComponent(as.password)}` : as.user) : credentials
    return `postgres://${auth}@127.0.0.1:${port}/${database}`
  }
  const url = urlFor('postgres')

  const start = async () => {
    server.start()
    await waitFor(
      `PostgreSQL on port ${port} (log: ${join(root, 'server.log')})`,
      async () => {
        if (!server.running) throw new Error('postmaster exited')
        const sql = postgres(url, { max: 1, connect_timeout: 2, onnotice: () => {} })
        try {
          await sql`select 1`
          return true
        } finally {
          await sql.end({ timeout: 1 })
        }
      },
      60_000,
    )
  }
  await start()

  return {
    backend: 'local',
    root,
    dataDir,
    bin,
    url,
    host: '127.0.0.1',
    port,
    user: superuser,
    password,
    urlFor,
    start,
    // SIGINT is PostgreSQL's fast shutdown, SIGQUIT its immediate one (crash recovery on next start).
    stop: (mode = 'fast') => server.signal(mode === 'fast' ? 'SIGINT' : 'SIGQUIT'),
    kill: () => server.signal('SIGKILL'),
    dispose: async () => {
      await server.signal('SIGQUIT', 10_000)
      rmSync(root, { recursive: true, force: true })
    },
  }
}
