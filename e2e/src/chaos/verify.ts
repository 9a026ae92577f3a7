import { deadLetterTopicFor, decodeEnvelope } from '@factlib/core'
import { Kafka, logLevel } from 'kafkajs'
import { type ReadRecord, readTopics } from '../support/kafka-reader.js'
import type { LedgerFact } from './ledger.js'
import { poisonMarkerOf } from './poison.js'

export interface Expectations {
  brokers: string[]
  prefix: string
  committed: LedgerFact[]
  poison: string[]
  rolledBackIds: ReadonlySet<string>
  readTimeoutMs: number
  /**
   * Exactly-once: a partition's end offset is a transaction marker, never read as a record, so
   * reading stops once every fact and poison message was seen. No late duplicate can follow:
   * owlpost confirmed the WAL end only after the Kafka transactions holding it committed.
   */
  exactlyOnce?: boolean
}

export interface Verdict {
  /** Committed facts (ledger rows). */
  facts: number
  lost: string[]
  /** Facts that arrived after a fact of the same aggregate with a higher sequence (duplicates dropped first). */
  reordered: { aggregateId: string; sequence: number; after: number }[]
  /** Records beyond the first of each fact id. */
  duplicates: number
  rolledBackArrived: string[]
  /** Facts that arrived but are not in the ledger: nothing should reach Kafka that did not commit. */
  uncommittedArrived: string[]
  deadLettered: number
  poisonMissing: string[]
  /** Dead-letter records that are not our poison: a valid fact that should have gone to its topic. */
  unexpectedDeadLetters: { reason: string; originalTopic: string }[]
  records: number
}

/**
 * Topics under `prefix.` that exist now (every aggregate type's topic and the dead-letter topic),
 * and each partition's end offset, so reading goes on to the end and sees late duplicates too.
 */
async function topicsOf(
  brokers: string[],
  prefix: string,
): Promise<{ topics: string[]; ends: Map<string, bigint> }> {
  const admin = new Kafka({ brokers, logLevel: logLevel.NOTHING, clientId: 'chaos-verify' }).admin()
  await admin.connect()
  try {
    // The exactly-once checkpoint topic shares the prefix but holds LSNs, not facts.
    const topics = (await admin.listTopics()).filter(
      (topic) => topic.startsWith(`${prefix}.`) && !topic.endsWith('.owlpost-checkpoints'),
    )
    const ends = new Map<string, bigint>()
    for (const topic of topics) {
      for (const { partition, high } of await admin.fetchTopicOffsets(topic)) {
        if (BigInt(high) > 0n) ends.set(`${topic}/${partition}`, BigInt(high))
      }
    }
    return { topics, ends }
  } finally {
    await admin.disconnect()
  }
}

/**
 * Reads every topic of the prefix from the beginning until every committed fact and poison
 * message was seen and every partition was read to its end as of the start (or the timeout passed), then checks loss, order, rolled-back and uncommitted
 * arrivals, and dead-lettering.
 */
export async function verifyDelivery(expected: Expectations): Promise<Verdict> {
  const deadLetterTopic = deadLetterTopicFor(expected.prefix)
  const { topics, ends } = await topicsOf(expected.brokers, expected.prefix)
  const unfinished = new Set(expected.exactlyOnce ? [] : ends.keys())
  if (!topics.includes(deadLetterTopic) && expected.poison.length > 0) topics.push(deadLetterTopic)
  const missingFacts = new Set(expected.committed.map((fact) => fact.id))
  const missingPoison = new Set(expected.poison)
  let examined = 0
  const examine = (records: ReadRecord[]) => {
    for (; examined < records.length; examined++) {
      const record = records[examined] as ReadRecord
      const partition = `${record.topic}/${record.partition}`
      if (BigInt(record.offset) + 1n >= (ends.get(partition) ?? 0n)) unfinished.delete(partition)
      if (record.topic === deadLetterTopic) {
        const marker = poisonMarkerOf(record.value, record.headers)
        if (marker) missingPoison.delete(marker)
      } else {
        const id = record.headers.event_id
        if (id) missingFacts.delete(id)
      }
    }
    return missingFacts.size === 0 && missingPoison.size === 0 && unfinished.size === 0
  }
  const records = await readTopics(expected.brokers, topics, examine, expected.readTimeoutMs)
  examine(records)

  const ledger = new Map(expected.committed.map((fact) => [fact.id, fact]))
  const seen = new Set<string>()
  const highest = new Map<string, number>()
  const verdict: Verdict = {
    facts: expected.committed.length,
    lost: [...missingFacts],
    reordered: [],
    duplicates: 0,
    rolledBackArrived: [],
    uncommittedArrived: [],
    deadLettered: 0,
    poisonMissing: [...missingPoison],
    unexpectedDeadLetters: [],
    records: records.length,
  }
  const poisonCommitted = new Set(expected.poison)
  const poisonSeen = new Set<string>()
  for (const record of records) {
    if (record.topic === deadLetterTopic) {
      const marker = poisonMarkerOf(record.value, record.headers)
      if (marker && poisonCommitted.has(marker)) poisonSeen.add(marker)
      else
        verdict.unexpectedDeadLetters.push({
          reason: record.headers.error ?? JSON.stringify(record.headers),
          originalTopic: record.headers.original_topic ?? '',
        })
      continue
    }
    const envelope = decodeEnvelope(record.value)
    if (seen.has(envelope.id)) {
      verdict.duplicates++
      continue
    }
    seen.add(envelope.id)
    if (expected.rolledBackIds.has(envelope.id)) verdict.rolledBackArrived.push(envelope.id)
    if (!ledger.has(envelope.id)) verdict.uncommittedArrived.push(envelope.id)
    const { sequence } = JSON.parse(new TextDecoder().decode(envelope.payload)) as { sequence: number }
    const before = highest.get(envelope.aggregateId) ?? 0
    if (sequence <= before)
      verdict.reordered.push({ aggregateId: envelope.aggregateId, sequence, after: before })
    else highest.set(envelope.aggregateId, sequence)
  }
  verdict.deadLettered = poisonSeen.size
  return verdict
}
