import { decodeEnvelope, topicFor } from '@factlib/core'
import { afterAll, describe, expect, it } from 'vitest'
import { readTopics } from './support/kafka-reader.js'
import { type OwlpostProcess, startOwlpost } from './support/owlpost-process.js'
import { createScenario, sequencesByAggregate, utf8 } from './support/scenario.js'

describe('owlpost killed and restarted mid-stream', () => {
  let world: Awaited<ReturnType<typeof createScenario>>
  let owlpost: OwlpostProcess | undefined

  afterAll(async () => {
    await owlpost?.stop()
    await world?.sql.end()
  })

  it('delivers every committed fact at least once, in per-aggregate order', async () => {
    world = await createScenario('restart')
    const { sql, producer, prefix } = world
    owlpost = await startOwlpost(world.owlpostEnv)
    await owlpost.ready()

    const writers = 4
    const aggregatesPerWriter = 5
    const transactionsPerWriter = 150
    const emitted: string[] = []
    let writing = true
    const writer = async (w: number) => {
      const sequence = new Map<string, number>()
      for (let t = 0; t < transactionsPerWriter; t++) {
        const aggregateId = `agg-${w}-${t % aggregatesPerWriter}`
        const size = 1 + (t % 4)
        const ids = await sql.begin(async (tx) => {
          const facts = Array.from({ length: size }, () => {
            const next = (sequence.get(aggregateId) ?? 0) + 1
            sequence.set(aggregateId, next)
            return {
              aggregateType: 'item',
              aggregateId,
              eventType: 'item.changed',
              payload: utf8(JSON.stringify({ sequence: next })),
            }
          })
          const envelopes = await producer.emitMany(tx, facts)
          return envelopes.map((envelope) => envelope.id)
        })
        emitted.push(...ids)
      }
    }
    const writing$ = Promise.all(Array.from({ length: writers }, (_, w) => writer(w))).finally(() => {
      writing = false
    })

    let kills = 0
    while (writing && kills < 3) {
      await new Promise((resolve) => setTimeout(resolve, 700))
      await owlpost.kill()
      kills++
      owlpost = await startOwlpost(world.owlpostEnv)
      await owlpost.ready()
    }
    await writing$

    const topic = topicFor(prefix, 'item')
    const expected = new Set(emitted)
    const records = await readTopics(
      world.kafka.brokers,
      [topic],
      (seen) => {
        const ids = new Set(seen.map((record) => record.headers.event_id))
        return [...expected].every((id) => ids.has(id))
      },
      90_000,
    )
    const facts = records.map((record) => {
      const envelope = decodeEnvelope(record.value)
      const { sequence } = JSON.parse(new TextDecoder().decode(envelope.payload)) as { sequence: number }
      return { id: envelope.id, aggregateId: envelope.aggregateId, sequence }
    })
    const arrived = new Set(facts.map((fact) => fact.id))
    const lost = [...expected].filter((id) => !arrived.has(id))
    expect(kills).toBeGreaterThan(0)
    expect(lost).toEqual([])
    for (const [aggregateId, sequences] of sequencesByAggregate(facts)) {
      const sorted = [...sequences].sort((a, b) => a - b)
      expect(sequences, `order of ${aggregateId}`).toEqual(sorted)
      expect(sequences[0]).toBe(1)
      expect(sequences.at(-1)).toBe(sequences.length)
    }
  })
})
