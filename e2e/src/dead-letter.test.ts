import { createEnvelope, deadLetterTopicFor, encodeEnvelope, topicFor } from '@factlib/core'
import { afterAll, describe, expect, it } from 'vitest'
import { readTopics } from './support/kafka-reader.js'
import { type OwlpostProcess, startOwlpost } from './support/owlpost-process.js'
import { createScenario, utf8 } from './support/scenario.js'

describe('facts that can never be delivered', () => {
  let owlpost: OwlpostProcess | undefined
  let world: Awaited<ReturnType<typeof createScenario>>

  afterAll(async () => {
    await owlpost?.stop()
    await world?.sql.end()
  })

  it('go to the dead-letter topic with the reason, while good facts keep flowing', async () => {
    world = await createScenario('dlq')
    owlpost = await startOwlpost(world.owlpostEnv)
    await owlpost.ready()
    const { sql, prefix } = world
    const escaped = encodeEnvelope(
      createEnvelope({
        aggregateType: 'order',
        aggregateId: 'o-nt',
        eventType: 'order.placed',
        payload: utf8('{}'),
      }),
    )
    // A producer bug: emitted non-transactionally, this fact would survive a rollback.
    await sql`select pg_logical_emit_message(false, ${prefix}, ${Buffer.from(escaped)})`
    // Garbage under our prefix: not a protobuf envelope at all.
    await sql.begin((tx) => [tx`select pg_logical_emit_message(true, ${prefix}, '\\xdeadbeefff'::bytea)`])
    const good = await world.emitAndRead('order')
    expect(good.seen).toContain(good.id)

    const letters = await readTopics(
      world.kafka.brokers,
      [deadLetterTopicFor(prefix)],
      (seen) => seen.length >= 2,
      30_000,
    )
    expect(letters).toHaveLength(2)
    const nonTransactional = letters.find((record) => record.headers.error?.includes('non-transactional'))
    expect(nonTransactional?.value.equals(Buffer.from(escaped))).toBe(true)
    expect(nonTransactional?.headers.original_topic).toBe(topicFor(prefix, 'order'))
    const garbage = letters.find((record) => record.value.equals(Buffer.from('deadbeefff', 'hex')))
    expect(garbage?.headers.error).toBeTruthy()
    expect(garbage?.headers.LSN).toMatch(/^[0-9A-F]+\/[0-9A-F]+$/)
    expect(await owlpost.metrics()).toMatch(/owlpost_facts_dead_lettered_total\{[^}]*\} 1/)
    expect((await owlpost.readiness()).body.role).toBe('active')
  })
})
