import { startKafka, uniqueName } from '@factlib/testing'
import { Kafka, logLevel } from 'kafkajs'
import pino from 'pino'
import { describe, expect, it } from 'vitest'
import { checkpointTopic, readRelayedPosition } from './kafka-evidence.js'

describe('evidence in Kafka that owlpost ran before', async () => {
  const { brokers } = await startKafka()
  const kafka = new Kafka({ brokers, logLevel: logLevel.NOTHING, clientId: 'evidence-test' })
  const logger = pino({ level: 'silent' })

  it('finds nothing for a prefix with no topics', async () => {
    expect(
      await readRelayedPosition(kafka, { prefixes: [uniqueName('none')], slot: 's' }, logger),
    ).toBeUndefined()
  })

  it('takes the newest LSN header of the fact topics and the committed checkpoint of the slot, whichever is later', async () => {
    const prefix = uniqueName('evidence').replaceAll('_', '-')
    const plain = kafka.producer({ allowAutoTopicCreation: true })
    await plain.connect()
    await plain.send({
      topic: `${prefix}.order`,
      messages: ['0/10', '0/2A0', '0/1F0'].map((lsn) => ({ value: 'x', headers: { LSN: lsn } })),
    })
    await plain.disconnect()
    expect(await readRelayedPosition(kafka, { prefixes: [prefix], slot: 'the_slot' }, logger)).toMatchObject({
      lsn: 0x2a0n,
      source: expect.stringContaining(`${prefix}.order partition 0 offset 1`),
    })

    const transactional = kafka.producer({
      transactionalId: uniqueName('checkpoint'),
      maxInFlightRequests: 1,
      idempotent: true,
    })
    await transactional.connect()
    const checkpoint = async (lsn: string, slot: string, commit: boolean) => {
      const transaction = await transactional.transaction()
      await transaction.send({ topic: checkpointTopic(prefix), messages: [{ key: slot, value: lsn }] })
      await (commit ? transaction.commit() : transaction.abort())
    }
    const admin = kafka.admin()
    await admin.connect()
    await admin.createTopics({
      topics: [
        { topic: checkpointTopic(prefix), configEntries: [{ name: 'cleanup.policy', value: 'compact' }] },
      ],
    })
    await admin.disconnect()
    await checkpoint('16/B374D848', 'other_slot', true)
    await checkpoint('1/0', 'the_slot', true)
    await checkpoint('FF/0', 'the_slot', false) // aborted: no evidence
    await transactional.disconnect()
    expect(await readRelayedPosition(kafka, { prefixes: [prefix], slot: 'the_slot' }, logger)).toMatchObject({
      lsn: 0x100000000n,
      source: expect.stringContaining(`exactly-once checkpoint in ${prefix}.owlpost-checkpoints`),
    })
  }, 60_000)
})
