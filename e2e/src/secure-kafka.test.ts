import { startKafka } from '@factlib/testing'
import { afterAll, describe, expect, it } from 'vitest'
import { type OwlpostProcess, startOwlpost } from './support/owlpost-process.js'
import { createScenario } from './support/scenario.js'

describe('owlpost against Kafka with SCRAM-SHA-512 over TLS (the Go factlib production setup)', () => {
  let owlpost: OwlpostProcess | undefined
  let world: Awaited<ReturnType<typeof createScenario>>

  afterAll(async () => {
    await owlpost?.stop()
    await world?.sql.end()
  })

  it('relays with KAFKA_USERNAME, KAFKA_PASSWORD, KAFKA_SSL and a CA file, and never logs the password', async () => {
    const kafka = await startKafka()
    expect(kafka.saslSslBrokers).toBeDefined()
    world = await createScenario('secure')
    owlpost = await startOwlpost({
      ...world.owlpostEnv,
      KAFKA_BROKERS: kafka.saslSslBrokers!.join(','),
      KAFKA_USERNAME: kafka.saslUser!.username,
      KAFKA_PASSWORD: kafka.saslUser!.password,
      KAFKA_SSL: 'true',
      KAFKA_SSL_CA_FILE: kafka.tlsCaFile!,
      LOG_LEVEL: 'debug',
    })
    await owlpost.ready()
    const { id, seen } = await world.emitAndRead('payment')
    expect(seen).toContain(id)
    expect(owlpost.output.join('\n')).not.toContain(kafka.saslUser!.password)
  })
})
