import type { KafkaClusterService } from './kafka/cluster.js'
import { startContainerKafka } from './kafka/container.js'
import { startContainerKafkaCluster } from './kafka/container-cluster.js'
import { kafkaFromEnv } from './kafka/env.js'
import { startLocalKafka } from './kafka/local.js'
import { startLocalKafkaCluster } from './kafka/local-cluster.js'
import type { KafkaOptions } from './kafka/options.js'
import { startContainerPostgres } from './postgres/container.js'
import { postgresFromUrl } from './postgres/env.js'
import { startLocalPostgres } from './postgres/local.js'
import type { PostgresOptions } from './postgres/settings.js'
import { selectBackend } from './select-backend.js'
import type { KafkaService, PostgresService } from './services.js'

export { createDatabase } from './create-database.js'
export { freePort } from './free-port.js'
export type { KafkaClusterService, KafkaNode } from './kafka/cluster.js'
export type { ClusterRoles } from './kafka/cluster-roles.js'
export { kafkaToolsClasspath, kafkaToolsLog4jConfig, kafkaVersion } from './kafka/jars.js'
export type { KafkaOptions } from './kafka/options.js'
export type { PostgresOptions } from './postgres/settings.js'
export {
  type PostgresPair,
  type PostgresPairOptions,
  standbySlotName,
  startPostgresPair,
} from './postgres/standby-pair.js'
export { type PostgresMajor, postgresMajor } from './postgres/version.js'
export { makeSelfSignedCertificate, type SelfSignedCertificate } from './self-signed-certificate.js'
export {
  type Backend,
  type ControllableService,
  type KafkaService,
  MissingBackendError,
  NotControllableError,
  type PostgresService,
} from './services.js'
export { type SlowProxy, startSlowProxy } from './slow-proxy.js'
export { uniqueName } from './unique-name.js'
export { waitFor } from './wait.js'

/**
 * A PostgreSQL server with logical decoding on. The one named by FACTLIB_TEST_DATABASE_URL
 * (set by the shared global setup) unless `dedicated` or custom settings ask for our own.
 */
export async function startPostgres(options: PostgresOptions = {}): Promise<PostgresService> {
  const custom = options.settings || options.hba || options.files || options.password
  const shared = process.env.FACTLIB_TEST_DATABASE_URL
  if (shared && !options.dedicated && !custom) return postgresFromUrl(shared)
  return (await selectBackend('PostgreSQL')) === 'container'
    ? startContainerPostgres(options)
    : startLocalPostgres(options)
}

/** A single-node KRaft Kafka broker: FACTLIB_TEST_KAFKA_BROKERS unless `dedicated` or settings. */
export async function startKafka(options: KafkaOptions = {}): Promise<KafkaService> {
  const shared = process.env.FACTLIB_TEST_KAFKA_BROKERS
  if (shared && !options.dedicated && !options.settings) return kafkaFromEnv(shared)
  return (await selectBackend('Kafka')) === 'container'
    ? startContainerKafka(options)
    : startLocalKafka(options)
}

/**
 * A dedicated three-node KRaft cluster (combined broker+controller, three voters) with
 * replication 3 and min.insync.replicas 2, for tests of leader changes; never a shared server.
 */
export async function startKafkaCluster(
  options: Omit<KafkaOptions, 'dedicated'> = {},
): Promise<KafkaClusterService> {
  return (await selectBackend('Kafka')) === 'container'
    ? startContainerKafkaCluster(options)
    : startLocalKafkaCluster(options)
}
export {
  type PromAlert,
  type PrometheusBinaries,
  type PrometheusOptions,
  type PrometheusService,
  type PromSample,
  prometheusBinaries,
  startPrometheus,
} from './prometheus.js'
