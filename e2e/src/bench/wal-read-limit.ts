import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'

/** PostgreSQL's client binaries: FACTLIB_PG_BIN, else the newest /usr/lib/postgresql/<v>/bin. */
export function postgresBin(name: string): string {
  const fromEnv = process.env.FACTLIB_PG_BIN
  if (fromEnv) return join(fromEnv, name)
  const root = '/usr/lib/postgresql'
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((version) => existsSync(join(root, version, 'bin', name)))
        .sort((a, b) => Number(b) - Number(a))
    : []
  return versions[0] ? join(root, versions[0], 'bin', name) : name
}

export interface WalReadResult {
  seconds: number
  exitCode: number | null
  command: string
  stderr: string
}

/**
 * The WAL read limit: PostgreSQL's own pg_recvlogical streams the slot with the same pgoutput
 * options owlpost uses (proto_version 1, the publication, messages) to /dev/null and stops at
 * `endLsn`. The time covers connecting, the walsender decoding every record, and the transfer.
 */
export async function drainWithPgRecvlogical(options: {
  url: string
  slot: string
  publication: string
  endLsn: string
}): Promise<WalReadResult> {
  const args = [
    '--dbname',
    options.url,
    '--slot',
    options.slot,
    '--start',
    '--no-loop',
    '--endpos',
    options.endLsn,
    '--file',
    '/dev/null',
    '--status-interval',
    '1',
    '--option',
    'proto_version=1',
    '--option',
    `publication_names=${options.publication}`,
    '--option',
    'messages=true',
  ]
  const binary = postgresBin('pg_recvlogical')
  const started = performance.now()
  const child = spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8')
  })
  const [exitCode] = (await once(child, 'exit')) as [number | null]
  return {
    seconds: (performance.now() - started) / 1000,
    exitCode,
    command: `${binary} ${args.join(' ')}`,
    stderr: stderr.trim(),
  }
}
