import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort } from '../free-port.js'
import { ServerProcess } from '../process-handle.js'
import { waitFor } from '../wait.js'
import { makeBrokerCertificate } from './broker-certificate.js'
import type { KafkaClusterService, KafkaNode } from './cluster.js'
import { clusterNodeSettings, clusterSize } from './cluster-properties.js'
import { clusterRoles } from './cluster-roles.js'
import { kafkaClasspath, log4jConfig } from './jars.js'
import { clusterId, formatStorage } from './kraft-storage.js'
import type { KafkaOptions } from './options.js'
import { registeredBrokers } from './probe.js'
import { activeController } from './quorum-leader.js'
import { type KafkaPorts, saslUser, serverProperties } from './server-properties.js'

/**
 * Three combined broker+controller processes from the Maven Central jars, one JVM each with a
 * modest heap, forming a three-voter quorum. Each node has its own ports and data directory, so a
 * node comes back after kill() or stop() on the same address with what it had written.
 */
export async function startLocalKafkaCluster(options: KafkaOptions = {}): Promise<KafkaClusterService> {
  const classpath = kafkaClasspath()
  const root = mkdtempSync(join(tmpdir(), 'factlib-kafka-cluster-'))
  const tls = makeBrokerCertificate(root)
  const ports: KafkaPorts[] = []
  for (let i = 0; i < clusterSize; i++)
    ports.push({
      plaintext: await freePort(),
      controller: await freePort(),
      sasl: await freePort(),
      saslSsl: await freePort(),
    })
  const id = clusterId()
  const nodes = ports.map((nodePorts, index) => {
    const nodeId = index + 1
    const dir = join(root, `node-${nodeId}`)
    mkdirSync(dir)
    const config = join(dir, 'server.properties')
    const settings = clusterNodeSettings(
      nodeId,
      ports.map((entry) => entry.controller),
      options.settings ?? {},
    )
    writeFileSync(config, serverProperties(nodePorts, join(dir, 'data'), tls.keystorePem, settings))
    const jvm = [
      '-Xms128m',
      '-Xmx512m',
      '-XX:+UseG1GC',
      '-XX:ParallelGCThreads=1',
      '-XX:ConcGCThreads=1',
      '-Djava.awt.headless=true',
      `-Dlog4j2.configurationFile=${log4jConfig}`,
      `-Dkafka.logs.dir=${dir}`,
      '-cp',
      classpath,
    ]
    formatStorage(jvm, config, id)
    const server = new ServerProcess('java', [...jvm, 'kafka.Kafka', config], join(dir, 'stdout.log'))
    const broker = `127.0.0.1:${nodePorts.plaintext}`
    const whereLogs = `(log: ${join(dir, 'server.log')})`
    const node: KafkaNode = {
      id: nodeId,
      broker,
      get running() {
        return server.running
      },
      async start() {
        server.start()
        // Up means registered with the controller and unfenced: only then does it lead or follow.
        await waitFor(
          `Kafka node ${nodeId} on ${broker} ${whereLogs}`,
          async () => {
            if (!server.running) throw new Error(`broker process ${nodeId} exited`)
            return (await registeredBrokers([broker])).includes(nodeId)
          },
          120_000,
        )
      },
      stop: (mode = 'fast') => server.signal(mode === 'fast' ? 'SIGTERM' : 'SIGKILL'),
      kill: () => server.signal('SIGKILL'),
    }
    return node
  })
  const running = () => nodes.filter((node) => node.running).map((node) => node.broker)
  const allRegistered = async () => {
    const [first] = running()
    return first !== undefined && (await registeredBrokers([first])).length === clusterSize
  }
  // All at once: no node can finish starting before a majority of voters has elected a leader.
  const start = async () => {
    await Promise.all(nodes.map((node) => node.start()))
    await waitFor(`all ${clusterSize} Kafka nodes registered (logs under ${root})`, allRegistered, 60_000)
  }
  await start().catch(async (error: unknown) => {
    await Promise.all(nodes.map((node) => node.kill()))
    throw error
  })
  const node = (nodeId: number) => {
    const found = nodes.find((entry) => entry.id === nodeId)
    if (!found) throw new Error(`the Kafka cluster has no node ${nodeId} (nodes 1 to ${clusterSize})`)
    return found
  }
  return {
    backend: 'local',
    brokers: nodes.map((entry) => entry.broker),
    saslBrokers: ports.map((entry) => `127.0.0.1:${entry.sasl}`),
    saslSslBrokers: ports.map((entry) => `127.0.0.1:${entry.saslSsl}`),
    tlsCaFile: tls.caFile,
    saslUser,
    nodes,
    node,
    ...clusterRoles(running),
    activeController: () => activeController(classpath, running()),
    start,
    stop: async (mode = 'fast') => {
      await Promise.all(nodes.map((entry) => entry.stop(mode)))
    },
    kill: async () => {
      await Promise.all(nodes.map((entry) => entry.kill()))
    },
    dispose: async () => {
      await Promise.all(nodes.map((entry) => entry.kill()))
      rmSync(root, { recursive: true, force: true })
    },
  }
}
