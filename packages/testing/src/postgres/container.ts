import { dockerControl } from '../docker.js'
import { freePort } from '../free-port.js'
import type { PostgresService } from '../services.js'
import { logicalReplicationSettings, type PostgresOptions } from './settings.js'

const image = process.env.FACTLIB_TEST_POSTGRES_IMAGE ?? 'postgres:17-alpine'

/**
 * PostgreSQL in Docker through @testcontainers/postgresql. The host port is fixed up front
 * so the server keeps its address across stop/start and kill/start in fault tests.
 */
export async function startContainerPostgres(options: PostgresOptions = {}): Promise<PostgresService> {
  const { PostgreSqlContainer } = await import('@testcontainers/postgresql')
  const port = await freePort()
  const password = options.password ?? 'postgres'
  const settings = { ...logicalReplicationSettings, fsync: 'off', ...options.settings }
  const container = await new PostgreSqlContainer(image)
    .withUsername('postgres')
    .withPassword(password)
    .withDatabase('postgres')
    .withExposedPorts({ container: 5432, host: port })
    .withCommand(['postgres', ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`])])
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
