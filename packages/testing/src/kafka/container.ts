import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { dockerControl } from '../docker.js'
import { freePort } from '../free-port.js'
import type { KafkaService } from '../services.js'
import { makeBrokerCertificate } from './broker-certificate.js'
import type { KafkaOptions } from './options.js'
import { brokerAnswers } from './probe.js'
import { saslListenerProperties, saslUser } from './server-properties.js'

export const kafkaImage = process.env.FACTLIB_TEST_KAFKA_IMAGE ?? 'apache/kafka:4.1.0'
/**
 * How long a broker container may take to listen. testcontainers' default, 60 s, is less than the
 * callers give a start (the cluster's 180 s): three brokers' JVMs starting at once on a 2-core
 * machine, with other test files' servers, missed it on podman while the tests had time left.
 */
export const kafkaStartupTimeoutMs = 150_000
const keystoreInContainer = '/etc/kafka/secrets/broker-keystore.pem'

/**
 * The apache/kafka image reads `KAFKA_*` variables as server properties: '.' is written '_',
 * '_' is written '__' and '-' is written '___'.
 */
export function imageVariable(property: string): string {
  return `KAFKA_${property.replaceAll('_', '__').replaceAll('-', '___').replaceAll('.', '_').toUpperCase()}`
}

/**
 * apache/kafka in KRaft mode with the same three listeners as the local backend (PLAINTEXT,
 * SASL_PLAINTEXT, SASL_SSL). Host ports are fixed up front, so the advertised addresses stay
 * true across stop/start and kill/start in fault tests.
 */
export async function startContainerKafka(options: KafkaOptions = {}): Promise<KafkaService> {
  const { GenericContainer, Wait } = await import('testcontainers')
  const ports = { plaintext: await freePort(), sasl: await freePort(), saslSsl: await freePort() }
  const tls = makeBrokerCertificate(mkdtempSync(join(tmpdir(), 'factlib-kafka-tls-')))
  const properties: Record<string, string> = {
    'node.id': '1',
    'process.roles': 'broker,controller',
    // Inside the container on the host's port numbers: the advertised 127.0.0.1:<port> must
    // reach the broker from in there too, for the kafka-configs.sh run below.
    listeners: `PLAINTEXT://:${ports.plaintext},CONTROLLER://:9093,SASL_PLAINTEXT://:${ports.sasl},SASL_SSL://:${ports.saslSsl}`,
    'advertised.listeners': `PLAINTEXT://127.0.0.1:${ports.plaintext},SASL_PLAINTEXT://127.0.0.1:${ports.sasl},SASL_SSL://127.0.0.1:${ports.saslSsl}`,
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'PLAINTEXT',
    'listener.security.protocol.map':
      'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL',
    'controller.quorum.voters': '1@localhost:9093',
    'sasl.enabled.mechanisms': 'PLAIN,SCRAM-SHA-256,SCRAM-SHA-512',
    ...saslListenerProperties(keystoreInContainer),
    'offsets.topic.replication.factor': '1',
    'transaction.state.log.replication.factor': '1',
    'transaction.state.log.min.isr': '1',
    'group.initial.rebalance.delay.ms': '0',
    ...options.settings,
  }
  const container = await new GenericContainer(kafkaImage)
    .withEnvironment(
      Object.fromEntries(Object.entries(properties).map(([key, value]) => [imageVariable(key), value])),
    )
    .withCopyFilesToContainer([{ source: tls.keystorePem, target: keystoreInContainer, mode: 0o644 }])
    .withExposedPorts(
      { container: ports.plaintext, host: ports.plaintext },
      { container: ports.sasl, host: ports.sasl },
      { container: ports.saslSsl, host: ports.saslSsl },
    )
    .withWaitStrategy(Wait.forListeningPorts())
    .withStartupTimeout(kafkaStartupTimeoutMs)
    .start()
  const brokers = [`127.0.0.1:${ports.plaintext}`]
  const control = dockerControl(container.getId(), () => brokerAnswers(brokers))
  await control.start()
  // SCRAM credentials live in the cluster metadata; the image formats its own storage, so add
  // them now: one mechanism per run, as the broker refuses two for one user in one request.
  for (const mechanism of ['SCRAM-SHA-256', 'SCRAM-SHA-512']) {
    const scram = await container.exec([
      '/opt/kafka/bin/kafka-configs.sh',
      '--bootstrap-server',
      `127.0.0.1:${ports.plaintext}`,
      '--alter',
      '--add-config',
      `${mechanism}=[password=${saslUser.password}]`,
      '--entity-type',
      'users',
      '--entity-name',
      saslUser.username,
    ])
    if (scram.exitCode !== 0) {
      throw new Error(
        `Kafka container ${kafkaImage}: kafka-configs.sh could not add the ${mechanism} user:\n${scram.output}`,
      )
    }
  }
  return {
    backend: 'container',
    brokers,
    saslBrokers: [`127.0.0.1:${ports.sasl}`],
    saslSslBrokers: [`127.0.0.1:${ports.saslSsl}`],
    tlsCaFile: tls.caFile,
    saslUser,
    ...control,
    dispose: async () => {
      await container.stop()
    },
  }
}
