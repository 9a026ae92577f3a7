import { setTimeout as sleep } from 'node:timers/promises'
import type { KafkaClusterService, KafkaService, PostgresService } from '@factlib/testing'
import type { Sql } from 'postgres'
import { type BrokerFaultKind, injectBrokerFault, isBrokerFault } from './broker-faults.js'
import type { OwlpostSupervisor } from './owlpost-supervisor.js'
import { injectPoison, type PoisonMix } from './poison.js'
import { Session } from './transaction.js'

export type FaultKind =
  | 'kill-owlpost'
  | 'stop-kafka'
  | 'restart-postgres-fast'
  | 'restart-postgres-immediate'
  | 'poison'
  | 'takeover'
  | 'failover-postgres'
  | BrokerFaultKind

export interface FaultSchedule {
  /** Faults in the order they repeat; the first full cycle always runs, even after the writers finish. */
  cycle: readonly FaultKind[]
  /** Quiet time between two faults, drawn uniformly from [min, max]. */
  pauseMs: readonly [number, number]
  /** How long Kafka stays down, drawn uniformly from [min, max]. */
  kafkaOutageMs: readonly [number, number]
  /** How long a broker of a cluster stays down (broker faults only). */
  brokerDownMs?: readonly [number, number]
  poisonPerInjection: number
  /** How long to wait for a restarted owlpost to be ready before going on anyway. */
  owlpostReadyTimeoutMs: number
}

export interface FaultCounts {
  kills: number
  kafkaStops: number
  kafkaDownMs: number
  postgresRestartsFast: number
  postgresRestartsImmediate: number
  poisonInjected: number
  /** Of those, messages over owlpost's MAX_MESSAGE_BYTES (the `--poison` mix sends one per run). */
  poisonOversized: number
  poisonInDoubtLost: number
  takeovers: number
  fenced: number
  /** Primary SIGKILLed and its standby promoted (`--failover`). */
  postgresFailovers: number
  /** Brokers of a cluster SIGKILLed, and stopped gracefully. */
  brokerKills: number
  brokerRestarts: number
}

export interface FaultTargets {
  postgres: PostgresService
  kafka: KafkaService
  /** Set when Kafka is a cluster: the target of broker faults. */
  cluster?: KafkaClusterService
  owlpost: OwlpostSupervisor
  sql: Sql
  /** Which poison comes next: always junk, or the `--poison` mix. */
  poison: PoisonMix
  /** Where poison transactions open their own session. */
  url: string
  prefix: string
  slot: string
  log: (line: string) => void
  /** Present with `--failover`: kill the primary, promote the standby, make a new standby. */
  failover?: () => Promise<{ promotedMs: number; slotSyncedMs: number }>
}

const between = ([min, max]: readonly [number, number]) => min + Math.random() * (max - min)

/**
 * Injects faults one after another until `keepGoing` says stop (checked between faults, after
 * at least one full cycle). Every fault leaves the services running again before it returns.
 */
export async function runFaults(
  schedule: FaultSchedule,
  targets: FaultTargets,
  keepGoing: () => boolean,
  counts: FaultCounts,
): Promise<void> {
  const { postgres, kafka, owlpost, sql, prefix, log } = targets
  const session = new Session(targets.url)
  try {
    for (let step = 0; step < schedule.cycle.length || keepGoing(); step++) {
      await sleep(between(schedule.pauseMs))
      const fault = schedule.cycle[step % schedule.cycle.length] as FaultKind
      const begun = Date.now()
      if (isBrokerFault(fault)) {
        if (!targets.cluster) throw new Error(`fault '${fault}' needs a Kafka cluster (chaos --cluster)`)
        const result = await injectBrokerFault(
          fault,
          targets.cluster,
          prefix,
          between(schedule.brokerDownMs ?? [2_000, 5_000]),
        )
        if (result.killed) counts.brokerKills++
        else counts.brokerRestarts++
        log(`fault: ${result.description}`)
        counts.kills = owlpost.kills
        continue
      }
      switch (fault) {
        case 'kill-owlpost': {
          const ready = await owlpost.killAndRestart(schedule.owlpostReadyTimeoutMs)
          log(`fault: owlpost SIGKILLed and restarted (${ready ? 'ready' : 'not ready yet'})`)
          break
        }
        case 'stop-kafka': {
          await kafka.stop('fast')
          counts.kafkaStops++
          const stopped = Date.now()
          await sleep(between(schedule.kafkaOutageMs))
          const starting = Date.now()
          await kafka.start()
          counts.kafkaDownMs += Date.now() - begun
          log(
            `fault: Kafka stopped (shutdown ${stopped - begun} ms), kept down ${starting - stopped} ms, ` +
              `answering again after ${Date.now() - starting} ms`,
          )
          break
        }
        case 'restart-postgres-fast':
        case 'restart-postgres-immediate': {
          const mode = fault === 'restart-postgres-fast' ? 'fast' : 'immediate'
          await postgres.stop(mode)
          await postgres.start()
          if (mode === 'fast') counts.postgresRestartsFast++
          else counts.postgresRestartsImmediate++
          log(`fault: PostgreSQL ${mode} shutdown and start, ${Date.now() - begun} ms`)
          break
        }
        case 'takeover': {
          const outcome = await owlpost.takeover(async () => {
            await sql`select pg_terminate_backend(active_pid) from pg_replication_slots where slot_name = ${targets.slot} and active_pid is not null`
          }, schedule.owlpostReadyTimeoutMs)
          counts.takeovers = owlpost.takeovers
          counts.fenced = owlpost.fenced
          log(
            `fault: standby took over from a frozen active, which then ${outcome === 'fenced' ? 'was fenced and exited' : outcome === 'standby' ? 'went back to standby' : 'was gone already'}`,
          )
          break
        }
        case 'failover-postgres': {
          if (!targets.failover)
            throw new Error('failover-postgres in the schedule, but no standby to fail over to')
          const { promotedMs, slotSyncedMs } = await targets.failover()
          counts.postgresFailovers++
          log(
            `fault: standby held the failover slot after ${slotSyncedMs} ms; primary SIGKILLed, standby ` +
              `promoted and a new standby built in ${promotedMs} ms`,
          )
          break
        }
        case 'poison': {
          for (let i = 0; i < schedule.poisonPerInjection; i++) {
            const kind = targets.poison.next()
            if (await injectPoison(session, sql, prefix, kind)) {
              counts.poisonInjected++
              if (kind === 'oversized') counts.poisonOversized++
            } else counts.poisonInDoubtLost++
          }
          log(
            `fault: poison messages injected, ${counts.poisonInjected} so far (${counts.poisonOversized} oversized)`,
          )
          break
        }
      }
      counts.kills = owlpost.kills
    }
  } finally {
    await session.end()
  }
}

export function emptyFaultCounts(): FaultCounts {
  return {
    kills: 0,
    kafkaStops: 0,
    kafkaDownMs: 0,
    postgresRestartsFast: 0,
    postgresRestartsImmediate: 0,
    poisonInjected: 0,
    poisonOversized: 0,
    poisonInDoubtLost: 0,
    takeovers: 0,
    fenced: 0,
    postgresFailovers: 0,
    brokerKills: 0,
    brokerRestarts: 0,
  }
}
