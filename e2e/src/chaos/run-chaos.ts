import { createProducer } from '@factlib/producer'
import {
  createDatabase,
  type KafkaClusterService,
  startKafka,
  startKafkaCluster,
  startPostgres,
  uniqueName,
} from '@factlib/testing'
import postgres from 'postgres'
import { waitForSlotCatchUp } from './catch-up.js'
import { ConsumerFleet, consumerVerdict } from './consumer-fleet.js'
import { startFailoverPostgres, withFailovers } from './failover.js'
import { emptyFaultCounts, type FaultCounts, type FaultSchedule, runFaults } from './faults.js'
import { committedFacts, committedPoison, createLedger } from './ledger.js'
import { OwlpostSupervisor, type UnexpectedExit } from './owlpost-supervisor.js'
import { PoisonMix } from './poison.js'
import { problemsOf, summaryLine } from './summary.js'
import { type Verdict, verifyDelivery } from './verify.js'
import { emptyWritersReport, runWriters, type WritersReport } from './writers.js'

export interface ChaosOptions {
  /** Facts that must commit in total. */
  facts: number
  writers?: number
  aggregatesPerWriter?: number
  /** Cap on committed facts per second, so the writing lasts while faults are injected. */
  ratePerSecond?: number
  schedule: FaultSchedule
  /** After the writers: how long owlpost may take to confirm the WAL end, and to read everything back. */
  catchUpTimeoutMs?: number
  readTimeoutMs?: number
  /** DELIVERY_GUARANTEE=exactly-once: any duplicate fails the run, and takeovers must fence. */
  exactlyOnce?: boolean
  /** Progress lines; silent when absent. */
  log?: (line: string) => void
  progressIntervalMs?: number
  /** A primary with a standby (PostgreSQL 17), and primary failovers in the fault cycle. */
  failover?: boolean
  /** Run against a three-broker cluster (replication 3, min.insync 2) instead of one broker. */
  cluster?: boolean
  /**
   * Poison of every bad-input kind in turn (truncated envelopes, invalid UTF-8, junk), the first
   * one a message over owlpost's MAX_MESSAGE_BYTES; without it, junk only.
   */
  poisonMix?: boolean
  /**
   * Two @factlib/consumer instances apply every fact to a table meanwhile, SIGKILLed in turn;
   * each fact must be applied exactly once, in per-aggregate order.
   */
  consumer?: boolean
}

export interface ChaosResult {
  verdict: Verdict
  faults: FaultCounts
  writers: WritersReport
  caughtUp: boolean
  owlpostUnexpectedExits: UnexpectedExit[]
  /** `facts=N lost=L reordered=R duplicates=D deadlettered=P kills=K`, plus ` fenced=F` with exactly-once */
  summary: string
  /** Empty when the run passed. */
  problems: string[]
  durationMs: number
  /** Producer resets owlpost logged after the broker lost its sequence numbers (each may cost duplicates). */
  producerResets: number
}

/** Short, full-length and CI schedules share one cycle: every kind of fault, PostgreSQL and Kafka early. */
export const faultCycle = [
  'kill-owlpost',
  'restart-postgres-fast',
  'poison',
  'stop-kafka',
  'kill-owlpost',
  'restart-postgres-immediate',
  'poison',
] as const

/**
 * The fault-injection run: dedicated PostgreSQL and Kafka, owlpost as a child process, writers
 * emitting facts while owlpost is SIGKILLed, Kafka stopped, PostgreSQL restarted and poison
 * emitted; then everything is read back from Kafka and checked against the ledger.
 */
export async function runChaos(options: ChaosOptions): Promise<ChaosResult> {
  const begun = Date.now()
  const log = options.log ?? (() => {})
  const writers = options.writers ?? 8
  const cluster: KafkaClusterService | undefined = options.cluster ? await startKafkaCluster() : undefined
  const [failover, kafka] = await Promise.all([
    options.failover ? startFailoverPostgres() : undefined,
    cluster ?? startKafka({ dedicated: true }),
  ])
  const pg = failover?.pg ?? (await startPostgres({ dedicated: true }))
  const schedule = failover ? withFailovers(options.schedule) : options.schedule
  log(`services: PostgreSQL on ${pg.port}, Kafka on ${kafka.brokers.join(',')} (${Date.now() - begun} ms)`)
  let sql: postgres.Sql | undefined
  let owlpost: OwlpostSupervisor | undefined
  let fleet: ConsumerFleet | undefined
  // An interrupted run must not leave an owlpost behind (the servers clean up after themselves on exit).
  const killOwlpostOnExit = () => void owlpost?.process?.kill()
  process.once('exit', killOwlpostOnExit)
  try {
    const db = await createDatabase(pg, 'chaos')
    // With a standby, every client names both hosts and finds the primary after a failover.
    const url = failover ? failover.urlFor(db.name) : db.url
    sql = postgres(url, {
      // Only for statements outside transactions (ledger questions, catch-up); writers and poison
      // run their transactions on sessions of their own (see transaction.ts for why).
      max: 4,
      connect_timeout: 60,
      onnotice: () => {},
    })
    await createLedger(sql)
    const prefix = uniqueName('chaos').replaceAll('_', '-')
    const slot = uniqueName('chaos_slot')
    owlpost = new OwlpostSupervisor({
      MASTER_DATABASE_URL: url,
      KAFKA_BROKERS: kafka.brokers.join(','),
      WAL_PREFIX: prefix,
      REPLICATION_SLOT_NAME: slot,
      PUBLICATION_NAME: uniqueName('chaos_pub'),
      SRC_SERVICE_NAME: 'chaos',
      KAFKA_TOPIC_PARTITIONS: '3',
      ...(cluster ? { KAFKA_TOPIC_REPLICATION_FACTOR: '3' } : {}),
      RECONNECT_MAX_BACKOFF_MS: '2000',
      LOG_LEVEL: 'warn',
      ...(options.exactlyOnce ? { DELIVERY_GUARANTEE: 'exactly-once' } : {}),
    })
    // The slot must exist before the first fact commits, or that fact is legitimately never seen.
    await (await owlpost.start()).ready()

    const aggregateTypes = ['order', 'payment', 'shipment']
    if (options.consumer) {
      const settings = { databaseUrl: url, brokers: kafka.brokers, prefix, group: `${prefix}-consumer` }
      fleet = await ConsumerFleet.start(sql, settings, aggregateTypes, 3)
      log('consumer: two instances started')
    }

    const report = emptyWritersReport()
    const faults = emptyFaultCounts()
    let writing = true
    const progress = setInterval(
      () => log(`progress: committed ${report.committed}/${options.facts}, kills ${owlpost?.kills ?? 0}`),
      options.progressIntervalMs ?? 10_000,
    )
    try {
      const writing$ = runWriters(
        {
          sql,
          url,
          producer: createProducer({ prefix }),
          facts: options.facts,
          writers,
          aggregatesPerWriter: options.aggregatesPerWriter ?? 25,
          aggregateTypes,
          ...(options.ratePerSecond ? { ratePerSecond: options.ratePerSecond } : {}),
        },
        report,
      ).finally(() => {
        writing = false
      })
      const faulting$ = runFaults(
        schedule,
        {
          postgres: pg,
          kafka,
          ...(cluster ? { cluster } : {}),
          owlpost,
          sql,
          url,
          prefix,
          slot,
          log,
          poison: new PoisonMix(options.poisonMix ?? false),
          ...(failover ? { failover: () => failover.failover(db.name, slot) } : {}),
        },
        () => writing,
        faults,
      )
      fleet?.run(() => writing, log)
      // Both must settle; a failing writer must not leave the fault loop running against disposed servers.
      const [written, faulted] = await Promise.allSettled([writing$, faulting$])
      if (written.status === 'rejected') throw written.reason
      if (faulted.status === 'rejected') throw faulted.reason
    } finally {
      clearInterval(progress)
    }
    log(
      `writers done: ${report.committed} facts in ${report.transactions} transactions, ` +
        `${report.rolledBackTransactions} rolled back, ${report.rolledBackSavepoints} rolled-back savepoints, ` +
        `${report.inDoubt} commits in doubt (${report.inDoubtCommitted} committed), ` +
        `${report.failedBeforeCommit} failed before commit`,
    )

    const writersDone = Date.now()
    const caughtUp = await waitForSlotCatchUp(sql, slot, options.catchUpTimeoutMs ?? 120_000)
    log(
      `owlpost ${caughtUp ? 'caught up' : 'did NOT catch up'} ${Date.now() - writersDone} ms after the writers ` +
        `and the fault loop finished`,
    )
    const committed = await committedFacts(sql)
    const poison = await committedPoison(sql)
    const verdict = await verifyDelivery({
      brokers: kafka.brokers,
      prefix,
      committed,
      poison,
      rolledBackIds: report.rolledBackIds,
      readTimeoutMs: options.readTimeoutMs ?? 120_000,
      exactlyOnce: options.exactlyOnce ?? false,
    })
    log(
      `read back ${verdict.records} records; faults: kills ${faults.kills}, Kafka stops ${faults.kafkaStops} ` +
        `(${faults.kafkaDownMs} ms down), PostgreSQL restarts fast ${faults.postgresRestartsFast} ` +
        `immediate ${faults.postgresRestartsImmediate}, failovers ${faults.postgresFailovers}, poison ${faults.poisonInjected} (${faults.poisonOversized} oversized), ` +
        `takeovers ${faults.takeovers} (fenced ${faults.fenced}), ` +
        `owlpost exits not caused by us ${owlpost.unexpectedExits.length}`,
    )
    const producerResets = owlpost.linesContaining('Kafka producer reset')
    const unsentResends = owlpost.linesContaining('kafkajs left partitions unsent')
    if (cluster)
      log(
        `broker faults: ${faults.brokerKills} SIGKILLs, ${faults.brokerRestarts} graceful restarts; ` +
          `owlpost reset its producer ${producerResets} times and re-sent partitions kafkajs skipped ` +
          `${unsentResends} times`,
      )
    const problems = problemsOf(verdict, options.exactlyOnce ?? false)
    let consumerSummary = ''
    if (fleet) {
      const drained = await fleet.drain(sql, committed.length, options.readTimeoutMs ?? 120_000)
      const applied = await consumerVerdict(sql)
      log(
        `consumer: ${applied.applied} facts applied, ${fleet.kills} SIGKILLs, ` +
          `${fleet.restartsAfterOwnExit} restarts after an exit of its own`,
      )
      if (!drained)
        problems.push(
          `the consumers did not apply every fact in time (${applied.applied} of ${committed.length})`,
        )
      if (applied.notApplied > 0)
        problems.push(`${applied.notApplied} committed facts never applied by the consumers`)
      if (applied.appliedTwice > 0) problems.push(`${applied.appliedTwice} facts applied more than once`)
      if (applied.notCommitted > 0)
        problems.push(`${applied.notCommitted} facts applied that never committed`)
      if (applied.outOfOrder.length > 0)
        problems.push(
          `${applied.outOfOrder.length} aggregates applied out of order, e.g. ${applied.outOfOrder.slice(0, 5)}`,
        )
      consumerSummary =
        ` applied=${applied.applied} appliedTwice=${applied.appliedTwice} ` +
        `appliedOutOfOrder=${applied.outOfOrder.length} consumerKills=${fleet.kills}`
    }
    for (const exit of owlpost.unexpectedExits)
      log(`owlpost exited on its own with ${exit.code}: ${exit.lastLines.join(' | ')}`)
    return {
      verdict,
      faults,
      writers: report,
      caughtUp,
      owlpostUnexpectedExits: owlpost.unexpectedExits,
      summary:
        summaryLine(verdict, faults, options.exactlyOnce ?? false) +
        (cluster ? ` brokerKills=${faults.brokerKills}` : '') +
        consumerSummary,
      problems,
      durationMs: Date.now() - begun,
      producerResets,
    }
  } finally {
    process.removeListener('exit', killOwlpostOnExit)
    await fleet?.close().catch(() => {})
    await owlpost?.close().catch(() => {})
    await sql?.end({ timeout: 5 }).catch(() => {})
    await Promise.all([kafka.dispose(), pg.dispose()])
  }
}
