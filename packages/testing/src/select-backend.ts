import { execFileSync } from 'node:child_process'
import { dockerAvailable } from './docker.js'
import { postgresBinariesAvailable } from './postgres/binaries.js'
import { type Backend, MissingBackendError } from './services.js'

function hasCommand(command: string, versionFlag: string): boolean {
  try {
    execFileSync(command, [versionFlag], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

/**
 * Docker first (what users with Docker get), then local processes. FACTLIB_TEST_BACKEND
 * (container | local) forces one.
 */
export async function selectBackend(service: 'PostgreSQL' | 'Kafka'): Promise<Exclude<Backend, 'env'>> {
  const forced = process.env.FACTLIB_TEST_BACKEND
  if (forced === 'container' || forced === 'local') return forced
  if (await dockerAvailable()) return 'container'
  const missing =
    service === 'PostgreSQL'
      ? postgresBinariesAvailable()
        ? []
        : ['PostgreSQL server binaries (initdb, postgres), or Maven (mvn) to fetch them']
      : [
          ...(hasCommand('java', '-version') ? [] : ['java 17+']),
          ...(hasCommand('mvn', '--version') ? [] : ['Maven (mvn), to fetch the Kafka broker jars']),
        ]
  if (missing.length === 0) return 'local'
  const envVar = service === 'PostgreSQL' ? 'FACTLIB_TEST_DATABASE_URL' : 'FACTLIB_TEST_KAFKA_BROKERS'
  throw new MissingBackendError(
    `no way to run ${service} for the tests: no ${envVar} set, no Docker engine answering, ` +
      `and for a local ${service} this machine lacks ${missing.join(' and ')}. ` +
      `Set ${envVar} to an existing server, start Docker, or install what is missing.`,
  )
}
