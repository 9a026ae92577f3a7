import { deadLetterTopicFor, decodeEnvelope, topicFor } from '@factlib/core'
import type { createProducer } from '@factlib/producer'
import type { Sql } from 'postgres'
import { readTopics } from './kafka-reader.js'
import { sequencesByAggregate, utf8 } from './scenario.js'

export interface FactStream {
  /** Ids of the facts committed so far, in commit order per writer. */
  readonly emitted: readonly string[]
  /** Stops writing and waits for the writers' last transactions. */
  stop(): Promise<void>
}

/**
 * Writers that commit 'item' facts until stopped, each fact carrying its aggregate's next
 * sequence number, so order can be checked downstream. `ratePerSecond` paces all writers together.
 */
export function startFactStream(
  sql: Sql,
  producer: ReturnType<typeof createProducer>,
  options: { writers?: number; aggregatesPerWriter?: number; ratePerSecond?: number } = {},
): FactStream {
  const writers = options.writers ?? 4
  const aggregates = options.aggregatesPerWriter ?? 5
  const pauseMs = options.ratePerSecond ? (1000 * writers * 2.5) / options.ratePerSecond : 0
  const emitted: string[] = []
  let writing = true
  const writer = async (w: number) => {
    const sequence = new Map<string, number>()
    for (let t = 0; writing; t++) {
      const aggregateId = `agg-${w}-${t % aggregates}`
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
        return (await producer.emitMany(tx, facts)).map((envelope) => envelope.id)
      })
      emitted.push(...ids)
      if (pauseMs > 0) await new Promise((resolve) => setTimeout(resolve, pauseMs))
    }
  }
  const done = Promise.all(Array.from({ length: writers }, (_, w) => writer(w)))
  return {
    emitted,
    async stop() {
      writing = false
      await done
    },
  }
}

export interface StreamVerdict {
  emitted: number
  lost: string[]
  /** Aggregates whose sequence numbers arrived out of order (duplicates dropped first). */
  reordered: string[]
  /** Records beyond the first of each fact id. */
  duplicates: number
  /** Records on the prefix's dead-letter topic: none is poison here, so each is a wrongly dead-lettered fact. */
  deadLettered: number
}

/** Reads the item topic and the dead-letter topic back and checks loss and per-aggregate order. */
export async function verifyStream(
  brokers: string[],
  prefix: string,
  emitted: readonly string[],
  timeoutMs = 90_000,
): Promise<StreamVerdict> {
  const topic = topicFor(prefix, 'item')
  const deadLetterTopic = deadLetterTopicFor(prefix)
  const expected = new Set(emitted)
  const records = await readTopics(
    brokers,
    [topic],
    (seen) => {
      const ids = new Set(seen.map((record) => record.headers.event_id))
      for (const id of expected) if (!ids.has(id)) return false
      return true
    },
    timeoutMs,
  )
  const facts = records.map((record) => {
    const envelope = decodeEnvelope(record.value)
    const { sequence } = JSON.parse(new TextDecoder().decode(envelope.payload)) as { sequence: number }
    return { id: envelope.id, aggregateId: envelope.aggregateId, sequence }
  })
  const arrived = new Set(facts.map((fact) => fact.id))
  const reordered: string[] = []
  for (const [aggregateId, sequences] of sequencesByAggregate(facts)) {
    if (sequences.some((sequence, index) => sequence !== index + 1)) reordered.push(aggregateId)
  }
  const deadLetters = await readTopics(brokers, [deadLetterTopic], () => false, 2_000)
  return {
    emitted: expected.size,
    lost: [...expected].filter((id) => !arrived.has(id)),
    reordered,
    duplicates: facts.length - arrived.size,
    deadLettered: deadLetters.length,
  }
}
