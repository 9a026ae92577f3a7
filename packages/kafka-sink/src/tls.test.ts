import { readFileSync } from 'node:fs'
import { startKafka, uniqueName } from '@factlib/testing'
import { describe, expect, it } from 'vitest'
import { KafkaConnectError } from './errors.js'
import { createKafkaSink } from './index.js'
import { readTopic } from './test-support/read-topic.js'
import { sampleFact } from './test-support/sample-facts.js'

// The Go factlib talks to Kafka with SCRAM-SHA-512 over TLS; the test broker's SASL_SSL
// listener presents a self-signed certificate made for this run.
describe('kafka sink over SASL_SSL', () => {
  it('delivers with SCRAM-SHA-512 over TLS, trusting the broker certificate', async () => {
    const kafka = await startKafka()
    expect(kafka.saslSslBrokers, 'the test broker has a SASL_SSL listener').toBeDefined()
    const prefix = uniqueName('tls')
    const sink = createKafkaSink({
      brokers: kafka.saslSslBrokers!,
      ssl: { ca: [readFileSync(kafka.tlsCaFile!, 'utf8')] },
      sasl: { mechanism: 'scram-sha-512', ...kafka.saslUser! },
      createTopics: { partitions: 1, replicationFactor: 1 },
    })
    await sink.connect()
    const facts = [1, 2].map((n) => sampleFact({ prefix, lsn: BigInt(n) * 0x100n, key: `k${n}` }))
    await sink.send({ endLsn: 0x300n, facts: facts.map((sample) => sample.fact) })
    expect(await sink.drain(30_000)).toBe(true)
    expect(sink.deliveredLsn).toBe(0x300n)
    await sink.close()
    const records = await readTopic(kafka.brokers, `${prefix}.order`, 2)
    expect(records.map((record) => record.headers.event_id)).toEqual(facts.map((sample) => sample.id))
  })

  it('refuses a broker whose certificate it does not trust', async () => {
    const kafka = await startKafka()
    const sink = createKafkaSink({
      brokers: kafka.saslSslBrokers!,
      ssl: true,
      sasl: { mechanism: 'scram-sha-512', ...kafka.saslUser! },
    })
    const error = await sink.connect().then(
      () => undefined,
      (failure: unknown) => failure as Error,
    )
    expect(error).toBeInstanceOf(KafkaConnectError)
    expect(`${error!.message} ${String((error as { cause?: Error }).cause?.message ?? '')}`).toMatch(
      /certificate|self[- ]signed|SSL|TLS/i,
    )
    await sink.close()
  })
})
