import { deadLetterTopicFor, topicFor } from '@factlib/core'
import { afterAll, describe, expect, it } from 'vitest'
import { readTopics } from './support/kafka-reader.js'
import { type OwlpostProcess, startOwlpost } from './support/owlpost-process.js'
import { createScenario, utf8 } from './support/scenario.js'

describe('facts handed over without moving the confirmed position', () => {
  let owlpost: OwlpostProcess | undefined
  let world: Awaited<ReturnType<typeof createScenario>>

  afterAll(async () => {
    await owlpost?.stop()
    await world?.sql.end()
  })

  it('delivers a transaction larger than one chunk in full, and dead-letters a later non-transactional fact', async () => {
    world = await createScenario('large')
    owlpost = await startOwlpost(world.owlpostEnv)
    await owlpost.ready()
    const { sql, producer, prefix } = world
    await world.emitAndRead('warmup')
    // owlpost hands a transaction over in chunks of 1,000 facts before its commit arrives.
    const size = 2_500
    const envelopes = await sql.begin((tx) =>
      producer.emitMany(
        tx,
        Array.from({ length: size }, (_, n) => ({
          aggregateType: 'bulk',
          aggregateId: `b${n % 10}`,
          eventType: 'bulk.loaded',
          payload: utf8(String(n)),
        })),
      ),
    )
    await sql`select pg_logical_emit_message(false, ${prefix}, '\\x00'::bytea)`
    const expected = new Set(envelopes.map((envelope) => envelope.id))
    const records = await readTopics(
      world.kafka.brokers,
      [topicFor(prefix, 'bulk')],
      (seen) => new Set(seen.map((record) => record.headers.event_id)).size >= size,
      60_000,
    )
    const arrived = new Set(records.map((record) => record.headers.event_id))
    expect([...expected].filter((id) => !arrived.has(id))).toEqual([])
    const letters = await readTopics(
      world.kafka.brokers,
      [deadLetterTopicFor(prefix)],
      (seen) => seen.length >= 1,
      30_000,
    )
    expect(letters).toHaveLength(1)
    expect(letters[0]?.headers.error).toContain('non-transactional')
  })
})
