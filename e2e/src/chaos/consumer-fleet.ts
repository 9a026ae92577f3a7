import { setTimeout as sleep } from 'node:timers/promises'
import { Kafka, logLevel } from 'kafkajs'
import type { Sql } from 'postgres'
import { applicationsByAggregate, createConsumerEffects } from '../support/consumer-effects.js'
import { type ConsumerProcess, type ConsumerSettings, startConsumer } from '../support/consumer-process.js'

/**
 * `--consumer`: two instances of a @factlib/consumer service (`support/consumer-worker.ts`)
 * apply every fact to `consumer_effects` while the chaos runs, and are themselves SIGKILLed in
 * turn every few seconds (each kill and restart is a rebalance). One that exits on its own (its
 * broker or database went away at start) is started again.
 */
export class ConsumerFleet {
  kills = 0
  restartsAfterOwnExit = 0
  readonly #settings: ConsumerSettings
  readonly #instances: (ConsumerProcess | undefined)[] = [undefined, undefined]
  #generation = 0
  #running = true
  #loop: Promise<void> | undefined

  private constructor(settings: ConsumerSettings) {
    this.#settings = settings
  }

  /** Creates the effects table and the topics (a prefix subscription sees only topics that exist), starts both. */
  static async start(
    sql: Sql,
    settings: Omit<ConsumerSettings, 'eventTypes'>,
    aggregateTypes: readonly string[],
    partitions: number,
  ): Promise<ConsumerFleet> {
    await createConsumerEffects(sql)
    const admin = new Kafka({ brokers: settings.brokers, logLevel: logLevel.NOTHING }).admin()
    await admin.connect()
    await admin.createTopics({
      waitForLeaders: true,
      topics: aggregateTypes.map((type) => ({
        topic: `${settings.prefix}.${type}`,
        numPartitions: partitions,
      })),
    })
    await admin.disconnect()
    const fleet = new ConsumerFleet({ ...settings, eventTypes: ['chaos.changed'] })
    for (const slot of [0, 1]) await fleet.#launch(slot)
    return fleet
  }

  /** Kills one instance every 3 to 8 s, alternating, while `faulting()`; restarts it after up to 2 s. */
  run(faulting: () => boolean, log: (line: string) => void): void {
    this.#loop = (async () => {
      let slot = 0
      while (this.#running && faulting()) {
        await sleep(3_000 + Math.random() * 5_000)
        if (!this.#running || !faulting()) break
        await this.#restartExited()
        await this.#instances[slot]?.kill()
        this.kills++
        log(`consumer: SIGKILLed instance ${slot} (${this.kills} kills)`)
        await sleep(Math.random() * 2_000)
        await this.#launch(slot).catch((error: unknown) => log(`consumer: restart failed: ${error}`))
        slot = 1 - slot
      }
    })()
  }

  /** Waits until every committed fact has been applied (or the timeout), then stops the kills. */
  async drain(sql: Sql, committed: number, timeoutMs: number): Promise<boolean> {
    this.#running = false
    await this.#loop
    const deadline = Date.now() + timeoutMs
    for (;;) {
      await this.#restartExited()
      const [row] = await sql<
        { applied: number }[]
      >`select count(distinct event_id)::int as applied from consumer_effects`
      if (row!.applied >= committed) break
      if (Date.now() > deadline) return false
      await sleep(500)
    }
    // Late redeliveries have time to arrive and be skipped (or, wrongly, applied).
    await sleep(3_000)
    return true
  }

  async close(): Promise<void> {
    this.#running = false
    for (const instance of this.#instances) await instance?.kill()
  }

  /** Starts again the instances that exited on their own (a broker or database away at start). */
  async #restartExited(): Promise<void> {
    for (const slot of [0, 1]) {
      if (this.#instances[slot]?.exited) {
        this.restartsAfterOwnExit++
        await this.#launch(slot).catch(() => {})
      }
    }
  }

  async #launch(slot: number): Promise<void> {
    const instance = startConsumer(this.#settings, `c${slot}-${this.#generation++}`)
    this.#instances[slot] = instance
    await instance.started(120_000)
  }
}

export interface ConsumerVerdict {
  applied: number
  /** Ledger facts never applied. */
  notApplied: number
  /** Applications beyond the first of a fact. */
  appliedTwice: number
  /** Applied facts the ledger does not hold (rolled back, or never committed). */
  notCommitted: number
  /** Aggregates whose facts were applied out of emit order. */
  outOfOrder: string[]
}

/** Compares what the consumers applied with the ledger of committed facts. */
export async function consumerVerdict(sql: Sql): Promise<ConsumerVerdict> {
  const [row] = await sql<Omit<ConsumerVerdict, 'outOfOrder'>[]>`
    select
      (select count(distinct event_id)::int from consumer_effects) as applied,
      (select count(*)::int from chaos_ledger l
        where not exists (select 1 from consumer_effects e where e.event_id = l.id::text)) as "notApplied",
      (select (count(*) - count(distinct event_id))::int from consumer_effects) as "appliedTwice",
      (select count(*)::int from consumer_effects e
        where not exists (select 1 from chaos_ledger l where l.id::text = e.event_id)) as "notCommitted"`
  const outOfOrder = [...(await applicationsByAggregate(sql))]
    .filter(([, sequences]) =>
      sequences.some((sequence, index) => index > 0 && sequence <= sequences[index - 1]!),
    )
    .map(([aggregateId]) => aggregateId)
  return { ...row!, outOfOrder }
}
