import { startKafka, startPostgres } from './index.js'
import type { ControllableService } from './services.js'

/**
 * vitest globalSetup: starts PostgreSQL and Kafka once per test run and hands them to every
 * test file through FACTLIB_TEST_DATABASE_URL and FACTLIB_TEST_KAFKA_BROKERS. Servers that
 * the environment already names are used as they are.
 */
export default async function setup(): Promise<() => Promise<void>> {
  const started: ControllableService[] = []
  const timings: string[] = []
  if (!process.env.FACTLIB_TEST_DATABASE_URL) {
    const begun = Date.now()
    const pg = await startPostgres()
    started.push(pg)
    process.env.FACTLIB_TEST_DATABASE_URL = pg.url
    timings.push(`PostgreSQL (${pg.backend}) ${Date.now() - begun} ms`)
  }
  if (!process.env.FACTLIB_TEST_KAFKA_BROKERS) {
    const begun = Date.now()
    const kafka = await startKafka()
    started.push(kafka)
    process.env.FACTLIB_TEST_KAFKA_BROKERS = kafka.brokers.join(',')
    if (kafka.saslBrokers) process.env.FACTLIB_TEST_KAFKA_SASL_BROKERS = kafka.saslBrokers.join(',')
    if (kafka.saslSslBrokers && kafka.tlsCaFile) {
      process.env.FACTLIB_TEST_KAFKA_SASL_SSL_BROKERS = kafka.saslSslBrokers.join(',')
      process.env.FACTLIB_TEST_KAFKA_TLS_CA_FILE = kafka.tlsCaFile
    }
    timings.push(`Kafka (${kafka.backend}) ${Date.now() - begun} ms`)
  }
  if (timings.length > 0) process.stderr.write(`test services started: ${timings.join(', ')}\n`)
  return async () => {
    await Promise.all(started.map((service) => service.dispose()))
  }
}
