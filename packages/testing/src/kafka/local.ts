import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort } from '../free-port.js'
import { ServerProcess } from '../process-handle.js'
import type { KafkaService } from '../services.js'
import { waitFor } from '../wait.js'
import { makeBrokerCertificate } from './broker-certificate.js'
import { kafkaClasspath, log4jConfig } from './jars.js'
import { clusterId, formatStorage } from './kraft-storage.js'
import type { KafkaOptions } from './options.js'
import { brokerAnswers } from './probe.js'
import { saslUser, serverProperties } from './server-properties.js'

/** The Apache Kafka broker from its Maven Central jars, run with the machine's java. */
export async function startLocalKafka(options: KafkaOptions = {}): Promise<KafkaService> {
  const classpath = kafkaClasspath()
  const root = mkdtempSync(join(tmpdir(), 'factlib-kafka-'))
  const ports = {
    plaintext: await freePort(),
    controller: await freePort(),
    sasl: await freePort(),
    saslSsl: await freePort(),
  }
  const tls = makeBrokerCertificate(root)
  const config = join(root, 'server.properties')
  writeFileSync(config, serverProperties(ports, join(root, 'data'), tls.keystorePem, options.settings ?? {}))
  const jvm = [
    '-Xms256m',
    '-Xmx1g',
    '-XX:+UseG1GC',
    '-Djava.awt.headless=true',
    `-Dlog4j2.configurationFile=${log4jConfig}`,
    `-Dkafka.logs.dir=${root}`,
    '-cp',
    classpath,
  ]
  formatStorage(jvm, config, clusterId())
  const server = new ServerProcess('java', [...jvm, 'kafka.Kafka', config], join(root, 'stdout.log'))
  const brokers = [`127.0.0.1:${ports.plaintext}`]
  const start = async () => {
    server.start()
    await waitFor(
      `Kafka on port ${ports.plaintext} (log: ${join(root, 'server.log')})`,
      async () => {
        if (!server.running) throw new Error('broker process exited')
        return brokerAnswers(brokers)
      },
      90_000,
    )
  }
  await start()
  return {
    backend: 'local',
    brokers,
    saslBrokers: [`127.0.0.1:${ports.sasl}`],
    saslSslBrokers: [`127.0.0.1:${ports.saslSsl}`],
    tlsCaFile: tls.caFile,
    saslUser,
    start,
    stop: (mode = 'fast') => server.signal(mode === 'fast' ? 'SIGTERM' : 'SIGKILL'),
    kill: () => server.signal('SIGKILL'),
    dispose: async () => {
      await server.signal('SIGKILL')
      rmSync(root, { recursive: true, force: true })
    },
  }
}
