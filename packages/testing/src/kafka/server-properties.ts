export interface KafkaPorts {
  plaintext: number
  controller: number
  sasl: number
  saslSsl: number
}

export const saslUser = { username: 'factlib', password: 'factlib-secret' }

const jaasByMechanism: Record<string, string> = {
  plain: `org.apache.kafka.common.security.plain.PlainLoginModule required user_${saslUser.username}="${saslUser.password}";`,
  'scram-sha-256': 'org.apache.kafka.common.security.scram.ScramLoginModule required;',
  'scram-sha-512': 'org.apache.kafka.common.security.scram.ScramLoginModule required;',
}

/**
 * The login modules of both SASL listeners (PLAIN checks the JAAS user list; SCRAM checks the
 * credentials in the cluster metadata) and the SASL_SSL listener's PEM keystore.
 */
export function saslListenerProperties(keystoreLocation: string): Record<string, string> {
  return {
    ...Object.fromEntries(
      ['sasl_plaintext', 'sasl_ssl'].flatMap((listener) =>
        Object.entries(jaasByMechanism).map(([mechanism, jaas]) => [
          `listener.name.${listener}.${mechanism}.sasl.jaas.config`,
          jaas,
        ]),
      ),
    ),
    'listener.name.sasl_ssl.ssl.keystore.type': 'PEM',
    'listener.name.sasl_ssl.ssl.keystore.location': keystoreLocation,
  }
}

/**
 * A single combined broker+controller (KRaft) with PLAINTEXT, SASL_PLAINTEXT and SASL_SSL
 * listeners; `keystorePem` holds the broker's private key and certificate for SASL_SSL.
 */
export function serverProperties(
  ports: KafkaPorts,
  logDir: string,
  keystorePem: string,
  overrides: Record<string, string>,
): string {
  const host = '127.0.0.1'
  const settings: Record<string, string> = {
    'process.roles': 'broker,controller',
    'node.id': '1',
    'controller.quorum.voters': `1@${host}:${ports.controller}`,
    listeners: `PLAINTEXT://${host}:${ports.plaintext},CONTROLLER://${host}:${ports.controller},SASL_PLAINTEXT://${host}:${ports.sasl},SASL_SSL://${host}:${ports.saslSsl}`,
    'advertised.listeners': `PLAINTEXT://${host}:${ports.plaintext},SASL_PLAINTEXT://${host}:${ports.sasl},SASL_SSL://${host}:${ports.saslSsl}`,
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'PLAINTEXT',
    'listener.security.protocol.map':
      'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL',
    'sasl.enabled.mechanisms': 'PLAIN,SCRAM-SHA-256,SCRAM-SHA-512',
    ...saslListenerProperties(keystorePem),
    'log.dirs': logDir,
    'num.partitions': '1',
    'offsets.topic.replication.factor': '1',
    'offsets.topic.num.partitions': '3',
    'transaction.state.log.replication.factor': '1',
    'transaction.state.log.min.isr': '1',
    'share.coordinator.state.topic.replication.factor': '1',
    'share.coordinator.state.topic.min.isr': '1',
    'group.initial.rebalance.delay.ms': '0',
    'auto.create.topics.enable': 'true',
    ...overrides,
  }
  return `${Object.entries(settings)
    .map(([key, value]) => `${key}=${value}`)
    .join('\n')}\n`
}

/** SCRAM credentials are written into the metadata log when the storage is formatted. */
export function scramFormatArgs(): string[] {
  return ['SCRAM-SHA-256', 'SCRAM-SHA-512'].flatMap((mechanism) => [
    '--add-scram',
    `${mechanism}=[name=${saslUser.username},password=${saslUser.password}]`,
  ])
}
