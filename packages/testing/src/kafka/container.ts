import { dockerControl } from '../docker.js'
import { freePort } from '../free-port.js'
import type { KafkaService } from '../services.js'
import type { KafkaOptions } from './options.js'
import { brokerAnswers } from './probe.js'

const image = process.env.FACTLIB_TEST_KAFKA_IMAGE ?? 'apache/kafka:4.1.0'

/** apache/kafka in KRaft mode; the host port is fixed so the advertised address stays true after restarts. */
export async function startContainerKafka(options: KafkaOptions = {}): Promise<KafkaService> {
  const { GenericContainer, Wait } = await import('testcontainers')
  const port = await freePort()
  const env: Record<string, string> = {
    KAFKA_NODE_ID: '1',
    KAFKA_PROCESS_ROLES: 'broker,controller',
    KAFKA_LISTENERS: 'PLAINTEXT://:9092,CONTROLLER://:9093',
    KAFKA_ADVERTISED_LISTENERS: `PLAINTEXT://127.0.0.1:${port}`,
    KAFKA_CONTROLLER_LISTENER_NAMES: 'CONTROLLER',
    KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
    KAFKA_CONTROLLER_QUORUM_VOTERS: '1@localhost:9093',
    KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '1',
    KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: '1',
    KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: '1',
    KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: '0',
    ...Object.fromEntries(
      Object.entries(options.settings ?? {}).map(([key, value]) => [
        `KAFKA_${key.toUpperCase().replaceAll('.', '_')}`,
        value,
      ]),
    ),
  }
  const container = await new GenericContainer(image)
    .withEnvironment(env)
    .withExposedPorts({ container: 9092, host: port })
    .withWaitStrategy(Wait.forListeningPorts())
    .start()
  const brokers = [`127.0.0.1:${port}`]
  const control = dockerControl(container.getId(), () => brokerAnswers(brokers))
  await control.start()
  return {
    backend: 'container',
    brokers,
    ...control,
    dispose: async () => {
      await container.stop()
    },
  }
}
