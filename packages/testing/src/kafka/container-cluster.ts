import { dockerControl } from '../docker.js'
import { freePort } from '../free-port.js'
import { uniqueName } from '../unique-name.js'
import type { KafkaClusterService, KafkaNode } from './cluster.js'
import { clusterNodeSettings, clusterSize } from './cluster-properties.js'
import { clusterRoles } from './cluster-roles.js'
import { imageVariable, kafkaImage, kafkaStartupTimeoutMs } from './container.js'
import type { KafkaOptions } from './options.js'
import { brokerAnswers } from './probe.js'

/**
 * The three-node cluster as apache/kafka containers on a network of their own. Brokers talk to
 * each other and to the quorum by network alias; clients reach each on a fixed host port, so
 * addresses survive kill/start. PLAINTEXT only: SASL and TLS are covered by the single broker.
 */
export async function startContainerKafkaCluster(options: KafkaOptions = {}): Promise<KafkaClusterService> {
  const { GenericContainer, Network, Wait } = await import('testcontainers')
  const network = await new Network().start()
  const prefix = uniqueName('kafka').replaceAll('_', '-')
  const alias = (nodeId: number) => `${prefix}-${nodeId}`
  const hostPorts: number[] = []
  for (let i = 0; i < clusterSize; i++) hostPorts.push(await freePort())
  const started = await Promise.all(
    hostPorts.map(async (hostPort, index) => {
      const nodeId = index + 1
      const properties: Record<string, string> = {
        'process.roles': 'broker,controller',
        listeners: 'PLAINTEXT://:9092,CONTROLLER://:9093,INTERNAL://:19092',
        'advertised.listeners': `PLAINTEXT://127.0.0.1:${hostPort},INTERNAL://${alias(nodeId)}:19092`,
        'controller.listener.names': 'CONTROLLER',
        'inter.broker.listener.name': 'INTERNAL',
        'listener.security.protocol.map': 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,INTERNAL:PLAINTEXT',
        'group.initial.rebalance.delay.ms': '0',
        ...clusterNodeSettings(nodeId, [], options.settings ?? {}),
        'controller.quorum.voters': hostPorts.map((_, i) => `${i + 1}@${alias(i + 1)}:9093`).join(','),
      }
      const container = await new GenericContainer(kafkaImage)
        .withNetwork(network)
        .withNetworkAliases(alias(nodeId))
        .withEnvironment({
          CLUSTER_ID: 'factlib-test-cluster-1',
          KAFKA_HEAP_OPTS: '-Xms128m -Xmx512m',
          ...Object.fromEntries(
            Object.entries(properties).map(([key, value]) => [imageVariable(key), value]),
          ),
        })
        .withExposedPorts({ container: 9092, host: hostPort })
        .withWaitStrategy(Wait.forListeningPorts())
        .withStartupTimeout(kafkaStartupTimeoutMs)
        .start()
      return { nodeId, container, broker: `127.0.0.1:${hostPort}` }
    }),
  )
  const brokers = started.map((entry) => entry.broker)
  let down = new Set<number>()
  const nodes: KafkaNode[] = started.map(({ nodeId, container, broker }) => {
    const control = dockerControl(container.getId(), () => brokerAnswers([broker]))
    return {
      id: nodeId,
      broker,
      get running() {
        return !down.has(nodeId)
      },
      start: async () => {
        await control.start()
        down.delete(nodeId)
      },
      stop: async (mode) => {
        down.add(nodeId)
        await control.stop(mode)
      },
      kill: async () => {
        down.add(nodeId)
        await control.kill()
      },
    }
  })
  const running = () => nodes.filter((node) => node.running).map((node) => node.broker)
  const node = (nodeId: number) => {
    const found = nodes.find((entry) => entry.id === nodeId)
    if (!found) throw new Error(`the Kafka cluster has no node ${nodeId} (nodes 1 to ${clusterSize})`)
    return found
  }
  return {
    backend: 'container',
    brokers,
    nodes,
    node,
    ...clusterRoles(running),
    activeController: async () => {
      // Asked inside a node that is up: a killed or stopped container takes no exec, and the
      // node most often killed by the tests is the controller, often node 1.
      const asked = started.find((entry) => !down.has(entry.nodeId))
      if (!asked) throw new Error('no node of the Kafka cluster is running to name the KRaft quorum leader')
      // Through the INTERNAL listener: the tool then reaches every broker at its alias, as
      // advertised there; PLAINTEXT advertises the host's 127.0.0.1 ports, which lead nowhere
      // inside a container.
      const { output, exitCode } = await asked.container.exec([
        '/opt/kafka/bin/kafka-metadata-quorum.sh',
        '--bootstrap-server',
        'localhost:19092',
        'describe',
        '--status',
      ])
      const id = /LeaderId:\s*(\d+)/.exec(output)?.[1]
      if (exitCode !== 0 || id === undefined)
        throw new Error(
          `kafka-metadata-quorum.sh on node ${asked.nodeId} (exit ${exitCode}) named no KRaft quorum leader: ${output}`,
        )
      return Number(id)
    },
    start: async () => {
      await Promise.all(nodes.map((entry) => entry.start()))
    },
    stop: async (mode) => {
      await Promise.all(nodes.map((entry) => entry.stop(mode)))
    },
    kill: async () => {
      await Promise.all(nodes.map((entry) => entry.kill()))
    },
    dispose: async () => {
      await Promise.all(started.map((entry) => entry.container.stop()))
      await network.stop()
      down = new Set()
    },
  }
}
