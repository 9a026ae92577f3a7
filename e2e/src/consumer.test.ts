import { encodeEnvelope, topicFor } from '@factlib/core'
import { Kafka, logLevel } from 'kafkajs'
import { afterAll, describe, expect, it } from 'vitest'
import { createConsumerEffects } from './support/consumer-effects.js'
import { type ConsumerProcess, startConsumer } from './support/consumer-process.js'
import { type OwlpostProcess, startOwlpost } from './support/owlpost-process.js'
import { createScenario, utf8 } from './support/scenario.js'

// The whole path with every process crashing: the producer emits in business transactions,
// owlpost relays at least once and is SIGKILLed (so it writes facts again at new offsets), and
// two consumer instances apply every fact to a table while they are SIGKILLed and rebalanced.
// Every fact must take effect exactly once, each aggregate's in the order it was emitted.

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe('facts applied by @factlib/consumer through crashes of owlpost and of the consumers', () => {
  let world: Awaited<ReturnType<typeof createScenario>>
  let owlpost: OwlpostProcess | undefined
  const consumers = new Map<string, ConsumerProcess>()

  afterAll(async () => {
    for (const consumer of consumers.values()) await consumer.kill()
    await owlpost?.stop()
    await world?.sql.end()
  })

  it('applies every fact exactly once and in per-aggregate order', async () => {
    world = await createScenario('consumer')
    const { sql, producer, prefix, kafka } = world
    const topic = topicFor(prefix, 'item')
    const client = new Kafka({ brokers: kafka.brokers, logLevel: logLevel.NOTHING })
    const admin = client.admin()
    await admin.connect()
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 4 }] })
    await createConsumerEffects(sql)

    const settings = { databaseUrl: world.db.url, brokers: kafka.brokers, prefix, group: `${prefix}-group` }
    const launch = async (instance: string) => {
      const consumer = startConsumer(settings, instance)
      consumers.set(instance, consumer)
      await consumer.started()
    }
    owlpost = await startOwlpost(world.owlpostEnv)
    await owlpost.ready()
    await launch('a1')

    // Writers: each owns its aggregates, so its commit order is their emit order. Every third
    // transaction is written like the Python client's facts, without an id.
    const writers = 4
    // Writers go on until the faults are over, and write at least this many transactions each.
    const transactionsPerWriter = 100
    let faulting = true
    const emitted: { aggregateId: string; sequence: number }[] = []
    let idless = 0
    const writer = async (w: number) => {
      const sequences = new Map<string, number>()
      for (let t = 0; t < transactionsPerWriter || faulting; t++) {
        const aggregateId = `agg-${w}-${t % 5}`
        const facts = Array.from({ length: 1 + (t % 3) }, () => {
          const sequence = (sequences.get(aggregateId) ?? 0) + 1
          sequences.set(aggregateId, sequence)
          return { aggregateId, sequence }
        })
        const asFact = ({ aggregateId: id, sequence }: { aggregateId: string; sequence: number }) => ({
          aggregateType: 'item',
          aggregateId: id,
          eventType: 'item.changed',
          payload: utf8(JSON.stringify({ sequence })),
        })
        await sql.begin(async (tx) => {
          if (t % 3 === 2) {
            for (const fact of facts) {
              const bytes = encodeEnvelope({ ...asFact(fact), id: '', createdAt: 0n, metadata: {} })
              await tx`select pg_logical_emit_message(true, ${prefix}, ${Buffer.from(bytes)})`
            }
          } else {
            await producer.emitMany(tx, facts.map(asFact))
          }
        })
        if (t % 3 === 2) idless += facts.length
        emitted.push(...facts)
        await pause(40)
      }
    }
    const writing = Promise.all(Array.from({ length: writers }, (_, w) => writer(w)))

    // Faults while facts flow: owlpost crashes (it then relays facts again), a second consumer
    // joins (a rebalance), and each consumer crashes in turn and comes back (two more each).
    const applied = async () =>
      (await sql`select count(distinct (aggregate_id, sequence))::int as n from consumer_effects`)[0]!
        .n as number
    let owlpostKills = 0
    let consumerKills = 0
    const crashOwlpost = async () => {
      await owlpost!.kill()
      owlpostKills++
      owlpost = await startOwlpost(world.owlpostEnv)
      await owlpost.ready()
    }
    // How many facts were applied when each consumer died: less than all, or it died idle.
    const appliedAtKills: number[] = []
    const crashConsumer = async (instance: string, next: string) => {
      await consumers.get(instance)!.kill()
      consumerKills++
      appliedAtKills.push(await applied())
      await launch(next)
    }
    await pause(800)
    await launch('b1')
    await crashOwlpost()
    await pause(800)
    await crashConsumer('a1', 'a2')
    await crashOwlpost()
    await pause(500)
    await crashConsumer('b1', 'b2')
    faulting = false
    await writing

    const total = emitted.length
    const deadline = Date.now() + 90_000
    while ((await applied()) < total && Date.now() < deadline) await pause(250)
    // Whatever was still to be redelivered and skipped has had time to arrive.
    await pause(2_000)

    const offsets = await admin.fetchTopicOffsets(topic)
    await admin.disconnect()
    const records = offsets.reduce((sum, partition) => sum + Number(partition.high), 0)
    const skipped = [...consumers.values()]
      .flatMap((c) => c.events)
      .filter((e) => e.event === 'already-applied')
    console.log(
      `consumer e2e: ${total} facts (${idless} without id), ${records} records in Kafka ` +
        `(${records - total} written again by owlpost), ${skipped.length} redeliveries skipped by the consumers, ` +
        `owlpost SIGKILLed ${owlpostKills}x, consumers SIGKILLed ${consumerKills}x ` +
        `(with ${appliedAtKills.join(' and ')} facts applied)`,
    )

    const duplicates = await sql`
      select aggregate_id, sequence, count(*)::int as n from consumer_effects
      group by aggregate_id, sequence having count(*) > 1`
    expect(duplicates).toEqual([])
    expect(await applied()).toBe(total)
    const rows = await sql`select aggregate_id, sequence from consumer_effects order by id`
    const byAggregate = new Map<string, number[]>()
    for (const row of rows)
      byAggregate.set(row.aggregate_id, [...(byAggregate.get(row.aggregate_id) ?? []), row.sequence])
    for (const [aggregateId, sequences] of byAggregate) {
      expect(sequences, `order of ${aggregateId}`).toEqual(sequences.map((_, index) => index + 1))
    }
    expect(owlpostKills).toBe(2)
    expect(consumerKills).toBe(2)
    // Each consumer died with facts still to apply, so its partitions moved mid-stream.
    for (const appliedAtKill of appliedAtKills) expect(appliedAtKill).toBeLessThan(total)
    // The faults did what they are for: facts reached the consumers more than once.
    expect(records - total + skipped.length).toBeGreaterThan(0)
  })
})
