import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { dockerControl } from '../docker.js'
import { freePort } from '../free-port.js'
import type { PostgresService } from '../services.js'
import { logicalReplicationSettings, type PostgresOptions } from './settings.js'
import { postgresMajor } from './version.js'

const image = () => process.env.FACTLIB_TEST_POSTGRES_IMAGE ?? `postgres:${postgresMajor()}-alpine`
const copiedDir = '/etc/factlib'
/** Where copied files end up owned by the server's account, as PostgreSQL wants of key files. */
const ownedDir = '/var/lib/postgresql/factlib'

const shellQuote = (text: string) => `'${text.replaceAll("'", `'"'"'`)}'`

/**
 * PostgreSQL in Docker through @testcontainers/postgresql, honouring the same options as the
 * local backend: settings, pg_hba lines and files (certificates). The host port is fixed up
 * front so the server keeps its address across stop/start and kill/start in fault tests.
 */
export async function startContainerPostgres(options: PostgresOptions = {}): Promise<PostgresService> {
  const { PostgreSqlContainer } = await import('@testcontainers/postgresql')
  const { Wait } = await import('testcontainers')
  const port = await freePort()
  const password = options.password ?? 'postgres'
  const staging = mkdtempSync(join(tmpdir(), 'factlib-pg-container-'))
  const files: Record<string, string> = { ...options.files }
  const settings: Record<string, string> = {
    ...logicalReplicationSettings,
    fsync: 'off',
    ...options.settings,
  }
  // Settings that name a given file by its bare name point at the copy inside the container.
  for (const [key, value] of Object.entries(settings)) {
    if (value in files) settings[key] = `${ownedDir}/${value}`
  }
  if (options.hba) {
    // Connections through Docker's port mapping come from the bridge, not from 127.0.0.1.
    const lines = options.hba.map((line) => line.replaceAll('127.0.0.1/32', 'all'))
    files['pg_hba.conf'] =
      `${[...lines, 'local all all trust', 'host all all all trust', 'host replication all all trust'].join('\n')}\n`
    settings.hba_file = `${ownedDir}/pg_hba.conf`
  }
  const copies = Object.entries(files).map(([name, content]) => {
    const source = join(staging, name)
    writeFileSync(source, content)
    return { source, target: `${copiedDir}/${name}`, mode: 0o644 }
  })
  const serverArgs = [
    'postgres',
    ...Object.entries(settings).flatMap(([key, value]) => ['-c', `${key}=${value}`]),
  ]
  const startScript = [
    `mkdir -p ${ownedDir}`,
    `if [ -d ${copiedDir} ]; then cp ${copiedDir}/* ${ownedDir}/; fi`,
    `chown -R postgres ${ownedDir}`,
    `chmod 600 ${ownedDir}/* 2>/dev/null || true`,
    `exec docker-entrypoint.sh ${serverArgs.map(shellQuote).join(' ')}`,
  ].join(' && ')
  const container = await new PostgreSqlContainer(image())
    .withUsername('postgres')
    .withPassword(password)
    .withDatabase('postgres')
    .withCopyFilesToContainer(copies)
    .withExposedPorts({ container: 5432, host: port })
    .withCommand(['sh', '-c', startScript])
    // Not the module's default (a Docker health check): podman without systemd never runs
    // health checks. The image logs this line for its initialising server, then for the real one.
    .withWaitStrategy(
      Wait.forAll([
        Wait.forLogMessage(/database system is ready to accept connections/, 2),
        Wait.forListeningPorts(),
      ]),
    )
    .start()
  const urlFor: PostgresService['urlFor'] = (database, as) => {
    const user = as?.user ?? 'postgres'
    const secret = as ? as.password : password
    const auth = secret ? `${user}:${encodeURIComponent(secret)}` : user
    return `postgres://${auth}@127.0.0.1:${port}/${database}`
  }
  const control = dockerControl(container.getId(), async () => {
    const { default: postgres } = await import('postgres')
    const sql = postgres(urlFor('postgres'), { max: 1, connect_timeout: 2, onnotice: () => {} })
    try {
      await sql`select 1`
      return true
    } finally {
      await sql.end({ timeout: 1 })
    }
  })
  return {
    backend: 'container',
    url: urlFor('postgres'),
    host: '127.0.0.1',
    port,
    user: 'postgres',
    password,
    urlFor,
    ...control,
    dispose: async () => {
      await container.stop()
    },
  }
}
