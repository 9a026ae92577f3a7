import { startKafka, uniqueName } from '@factlib/testing'
import { describe, expect, it } from 'vitest'
import { KafkaConnectError } from './errors.js'
import { createKafkaSink } from './index.js'
import type { Logger } from './logger.js'
import { readTopic } from './test-support/read-topic.js'
import { sampleFact } from './test-support/sample-facts.js'

function recordingLogger(lines: string[]): Logger {
  const record = (obj: object, msg?: string) => lines.push(`${msg ?? ''} ${JSON.stringify(obj)}`)
  return { debug: record, info: record, warn: record, error: record }
}

describe('kafka sink over SASL', () => {
  it.each(['scram-sha-512', 'scram-sha-256', 'plain'] as const)(
    'delivers with %s on the SASL listener',
    async (mechanism) => {
      const kafka = await startKafka()
      expect(kafka.saslBrokers, 'the test broker has a SASL listener').toBeDefined()
      const prefix = uniqueName(mechanism)
      const sink = createKafkaSink({
        brokers: kafka.saslBrokers!,
        sasl: { mechanism, ...kafka.saslUser! },
        createTopics: { partitions: 1, replicationFactor: 1 },
      })
      await sink.connect()
      const facts = [1, 2, 3].map((n) => sampleFact({ prefix, lsn: BigInt(n) * 0x100n, key: `k${n}` }))
      await sink.send({ endLsn: 0x400n, facts: facts.map((sample) => sample.fact) })
      expect(await sink.drain(30_000)).toBe(true)
      expect(sink.deliveredLsn).toBe(0x400n)
      await sink.close()
      const records = await readTopic(kafka.brokers, `${prefix}.order`, 3)
      expect(records.map((record) => record.headers.event_id)).toEqual(facts.map((sample) => sample.id))
    },
  )

  it('refuses to connect with a wrong password and never shows the password', async () => {
    const kafka = await startKafka()
    const password = 'not-the-secret-Zq81'
    const lines: string[] = []
    const sink = createKafkaSink({
      brokers: kafka.saslBrokers!,
      sasl: { mechanism: 'scram-sha-256', username: kafka.saslUser!.username, password },
      logger: recordingLogger(lines),
    })
    const error = await sink.connect().then(
      () => undefined,
      (failure: unknown) => failure as Error,
    )
    expect(error).toBeInstanceOf(KafkaConnectError)
    expect(error!.message).toMatch(/authentication|SASL/i)
    expect(`${error!.message}\n${error!.stack}`).not.toContain(password)
    expect(lines.length).toBeGreaterThan(0)
    expect(lines.join('\n')).not.toContain(password)
    await sink.close()
  })
})
