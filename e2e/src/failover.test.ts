import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { decodeEnvelope, topicFor } from '@factlib/core'
import { type PostgresPair, startPostgresPair, waitFor } from '@factlib/testing'
import postgres from 'postgres'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readTopics } from './support/kafka-reader.js'
import { type OwlpostProcess, owlpostCli, startOwlpost } from './support/owlpost-process.js'
import { createScenario, sequencesByAggregate, utf8 } from './support/scenario.js'

const run = promisify(execFile)

/**
 * The primary dies mid-stream (SIGKILL) and its standby is promoted. owlpost was given both
 * hosts. On PostgreSQL 17 its failover slot was synchronised to the standby, so it resumes there
 * and nothing is lost; on 15 and 16 there is no slot on the new primary, and owlpost must refuse
 * to create one rather than skip the facts in between.
 */
describe('owlpost through a primary failover', () => {
  let pair: PostgresPair
  let world: Awaited<ReturnType<typeof createScenario>>
  const processes: OwlpostProcess[] = []
  /** Event ids whose commit the writer saw succeed (synchronous commit: they are on the standby too). */
  const committed: string[] = []

  beforeAll(async () => {
    pair = await startPostgresPair({ synchronousCommit: true })
    world = await createScenario('failover', { pg: pair.primary })
    world.owlpostEnv.MASTER_DATABASE_URL = pair.multiHostUrl(world.db.name)
  }, 120_000)
  afterAll(async () => {
    await Promise.all(processes.map((owlpost) => owlpost.stop()))
    await world?.sql.end({ timeout: 1 })
    await pair?.dispose()
  })

  /** Four writers, one aggregate each: transactions of 1-3 facts whose sequence only grows, paced. */
  const write = async (url: string, transactions: number, firstSequence: number, stop: () => boolean) => {
    const sql = postgres(url, { max: 4, onnotice: () => {}, connect_timeout: 2 })
    try {
      await Promise.all(
        [0, 1, 2, 3].map(async (w) => {
          let sequence = firstSequence
          for (let t = 0; t < transactions && !stop(); t++) {
            const facts = Array.from({ length: 1 + (t % 3) }, () => ({
              aggregateType: 'item',
              aggregateId: `agg-${w}`,
              eventType: 'item.changed',
              payload: utf8(JSON.stringify({ sequence: ++sequence })),
            }))
            try {
              const envelopes = await sql.begin((tx) => world.producer.emitMany(tx, facts))
              committed.push(...envelopes.map((envelope) => envelope.id))
              await new Promise((resolve) => setTimeout(resolve, 10))
            } catch {
              return // the primary died: this transaction is in doubt, and not counted
            }
          }
        }),
      )
    } finally {
      await sql.end({ timeout: 1 }).catch(() => undefined)
    }
  }

  const readAll = async (expected: Set<string>) => {
    const records = await readTopics(
      world.kafka.brokers,
      [topicFor(world.prefix, 'item')],
      (seen) => {
        const ids = new Set(seen.map((record) => record.headers.event_id))
        return [...expected].every((id) => ids.has(id))
      },
      90_000,
    )
    return records.map((record) => {
      const envelope = decodeEnvelope(record.value)
      const { sequence } = JSON.parse(new TextDecoder().decode(envelope.payload)) as { sequence: number }
      return { id: envelope.id, aggregateId: envelope.aggregateId, sequence }
    })
  }

  const slotOnStandby = async () => {
    const sql = postgres(pair.standby.urlFor(world.db.name), { max: 1, onnotice: () => {} })
    try {
      // Before 17 there are no synchronised slots: a slot on the standby can only be one made there.
      const synced = pair.major >= 17 ? sql`synced` : sql`false as synced`
      const rows =
        await sql`select ${synced}, temporary from pg_replication_slots where slot_name = ${world.slot}`
      return rows[0] as { synced: boolean; temporary: boolean } | undefined
    } finally {
      await sql.end({ timeout: 1 })
    }
  }

  it('on 17 resumes on the promoted standby from the failover slot: nothing lost, order kept; on 15 and 16 refuses to skip', async () => {
    const owlpost = await startOwlpost({ ...world.owlpostEnv, RECONNECT_MAX_BACKOFF_MS: '1000' })
    processes.push(owlpost)
    await owlpost.ready()

    let primaryDead = false
    const writing = write(pair.primary.urlFor(world.db.name), 1_000_000, 0, () => primaryDead)
    if (pair.major >= 17) {
      await waitFor(
        'the failover slot synchronised to the standby',
        async () => {
          await pair.hurrySlotSync()
          const slot = await slotOnStandby()
          return !!slot?.synced && !slot.temporary
        },
        60_000,
      )
      await expect
        .poll(async () => (await owlpost.readiness()).body.slotFailoverSafe, { timeout: 15_000 })
        .toBe(true)
    } else {
      await new Promise((resolve) => setTimeout(resolve, 1_500))
      expect((await owlpost.readiness()).body.slotFailoverReason).toMatch(/has no failover slots/)
    }
    const before = committed.length
    await new Promise((resolve) => setTimeout(resolve, 500))
    expect(committed.length).toBeGreaterThan(before) // killed mid-stream
    const linesBeforeFailover = owlpost.output.length
    await pair.primary.kill()
    primaryDead = true
    await writing
    await pair.promote()

    if (pair.major < 17) {
      const code = await owlpost.exited
      expect(code).toBe(1)
      const log = owlpost.output.join('\n')
      expect(log).toMatch(
        new RegExp(`replication slot \\\\"${world.slot}\\\\" is missing, but facts were relayed`),
      )
      expect(log).toMatch(/Cause: no failover slot: the server was promoted \(timeline 2\)/)
      expect(log).toMatch(/ALLOW_SLOT_RECREATE=true/)
      const refusal = owlpost.output.find((line) => line.includes('"msg":"replication slot'))
      console.info(`failover on ${pair.major}: owlpost refused: ${JSON.parse(refusal ?? '{}').msg}`)
      // A fresh start refuses too, on Kafka's evidence alone, and no slot was made.
      const restarted = await startOwlpost(world.owlpostEnv)
      processes.push(restarted)
      expect(await restarted.exited).toBe(1)
      expect(restarted.output.join('\n')).toMatch(/Cause: no failover slot/)
      expect(await slotOnStandby()).toBeUndefined()
      const { stdout } = await run(process.execPath, [owlpostCli, 'inspect'], {
        env: { PATH: process.env.PATH ?? '', ...world.owlpostEnv },
      })
      const report = JSON.parse(stdout) as { exists: boolean; gap: { cause: string; relayedLsn: string } }
      expect(report.exists).toBe(false)
      expect(report.gap.cause).toBe('no failover slot')
      // The operator accepts the gap: owlpost creates the slot and relays what comes next.
      const accepted = await startOwlpost({ ...world.owlpostEnv, ALLOW_SLOT_RECREATE: 'true' })
      processes.push(accepted)
      await accepted.ready()
      expect(accepted.output.join('\n')).toMatch(/ALLOW_SLOT_RECREATE=true accepts the gap/)
      return
    }

    // 17: owlpost reconnects through the host list to the promoted standby and its synced slot.
    await owlpost.ready(60_000)
    await write(pair.standby.urlFor(world.db.name), 20, 100_000, () => false)
    const expected = new Set(committed)
    const facts = await readAll(expected)
    const arrived = new Set(facts.map((fact) => fact.id))
    const lost = [...expected].filter((id) => !arrived.has(id))
    console.info(
      `failover on ${pair.major}: ${expected.size} facts committed, ${facts.length} records read, lost=${lost.length}`,
    )
    expect(lost).toEqual([])
    for (const [aggregateId, sequences] of sequencesByAggregate(facts)) {
      expect(sequences, `order of ${aggregateId}`).toEqual([...sequences].sort((a, b) => a - b))
    }
    expect(owlpost.output.slice(linesBeforeFailover).join('\n')).not.toMatch(/created replication slot/)
  })
})
