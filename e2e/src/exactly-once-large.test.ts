import { topicFor } from '@factlib/core'
import { afterAll, describe, expect, it } from 'vitest'
import { countFacts } from './support/count-reader.js'
import { readTopics } from './support/kafka-reader.js'
import { type OwlpostProcess, startOwlpost } from './support/owlpost-process.js'
import { createScenario } from './support/scenario.js'

type World = Awaited<ReturnType<typeof createScenario>>

const facts = 2_000_000
const idPrefix = 'big-'
// Far shorter than the time 2,000,000 facts take to relay: one Kafka transaction cannot hold them.
const settings = { DELIVERY_GUARANTEE: 'exactly-once', EOS_TRANSACTION_TIMEOUT_MS: '3000' }

/**
 * Emits `count` facts in ONE PostgreSQL transaction, built server-side: the producer would spend
 * minutes on two million. Each is a valid envelope (the OutboxEvent protobuf: id, aggregate type,
 * aggregate id, event type, payload; every field under 128 bytes, so each length is one byte) with
 * id `big-<n>`, on sixteen aggregates.
 */
async function emitOneTransaction(world: World, count: number): Promise<number> {
  const started = performance.now()
  await world.sql.begin(async (tx) => {
    await tx.unsafe(
      `with f as (
         select convert_to('${idPrefix}' || n, 'UTF8') as id,
                convert_to('b' || (n % 16), 'UTF8') as aggregate,
                convert_to(n::text, 'UTF8') as payload
         from generate_series(0, $1::int - 1) as n
       )
       select count(pg_logical_emit_message(true, $2::text,
         '\\x0a'::bytea || set_byte('\\x00'::bytea, 0, length(id)) || id ||
         '\\x1204'::bytea || convert_to('bulk', 'UTF8') ||
         '\\x1a'::bytea || set_byte('\\x00'::bytea, 0, length(aggregate)) || aggregate ||
         '\\x220b'::bytea || convert_to('bulk.loaded', 'UTF8') ||
         '\\x2a'::bytea || set_byte('\\x00'::bytea, 0, length(payload)) || payload))
       from f`,
      [count, world.prefix],
    )
  })
  return performance.now() - started
}

function insideCheckpoints(values: string[]): string[] {
  return values.filter((value) => value.includes(';commit='))
}

describe('exactly-once with a PostgreSQL transaction too large for one Kafka transaction (#30)', () => {
  const started: OwlpostProcess[] = []
  const worlds: World[] = []
  const owlpost = async (world: World) => {
    const process = await startOwlpost({ ...world.owlpostEnv, ...settings })
    started.push(process)
    return process
  }

  afterAll(async () => {
    await Promise.all(started.map((process) => process.kill()))
    await Promise.all(worlds.map((world) => world.sql.end()))
  })

  it('delivers 2,000,000 facts of one transaction with a 3 s transaction timeout, each once, in parts', {
    timeout: 300_000,
  }, async () => {
    const world = await createScenario('eos_huge')
    worlds.push(world)
    const relay = await owlpost(world)
    await relay.ready()
    const emitMs = await emitOneTransaction(world, facts)
    const relayStarted = performance.now()
    const counts = await countFacts(
      world.kafka.brokers,
      topicFor(world.prefix, 'bulk'),
      idPrefix,
      facts,
      150_000,
    )
    const relayMs = performance.now() - relayStarted
    console.info(
      `${facts} facts: emitted in ${Math.round(emitMs)} ms, all read_committed after ${Math.round(relayMs)} ms`,
    )
    expect(counts).toEqual({ records: facts, distinct: facts, duplicates: 0, repeated: [], strangers: 0 })
    // It went through in parts, each with a checkpoint inside the transaction, and nobody was fenced.
    const checkpoints = await readTopics(
      world.kafka.brokers,
      [`${world.prefix}.owlpost-checkpoints`],
      (seen) => insideCheckpoints(seen.map((r) => r.value.toString())).length > 1,
      10_000,
    )
    expect(insideCheckpoints(checkpoints.map((r) => r.value.toString())).length).toBeGreaterThan(1)
    expect(relay.output.join('\n')).not.toMatch(/fenced|timed out/)
    expect(await Promise.race([relay.exited, Promise.resolve('running')])).toBe('running')
  })

  it('loses and repeats nothing when owlpost is SIGKILLed in the middle of that transaction', {
    timeout: 300_000,
  }, async () => {
    const world = await createScenario('eos_huge_kill')
    worlds.push(world)
    const first = await owlpost(world)
    await first.ready()
    await emitOneTransaction(world, facts)
    // Killed once a Kafka transaction inside the PostgreSQL transaction has committed.
    const before = await readTopics(
      world.kafka.brokers,
      [`${world.prefix}.owlpost-checkpoints`],
      (seen) => insideCheckpoints(seen.map((r) => r.value.toString())).length > 0,
      120_000,
    )
    await first.kill()
    expect(insideCheckpoints(before.map((r) => r.value.toString()))).not.toEqual([])
    const second = await owlpost(world)
    await second.ready()
    const counts = await countFacts(
      world.kafka.brokers,
      topicFor(world.prefix, 'bulk'),
      idPrefix,
      facts,
      150_000,
    )
    expect(counts).toEqual({ records: facts, distinct: facts, duplicates: 0, repeated: [], strangers: 0 })
    // The second one resumed inside the transaction, after the facts the first one committed.
    expect(second.output.join('\n')).toMatch(/resuming after the handler checkpoint/)
    expect(second.output.join('\n')).toMatch(/insideFact/)
  })
})
