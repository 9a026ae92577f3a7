import type { FaultSchedule } from './faults.js'
import { faultCycle } from './run-chaos.js'

/**
 * Today's faults with broker faults woven in: after every one of them, one broker goes down
 * (the busiest partition's leader twice as often as a random node or a graceful restart).
 */
export const clusterFaultCycle = faultCycle.flatMap((fault, index) => [
  fault,
  (['kill-busiest-leader', 'kill-broker', 'kill-busiest-leader', 'restart-broker'] as const)[index % 4]!,
])

/** The full cluster run: brokers down 2 to 8 s, a fault every 3 to 8 s. */
export const clusterFullSchedule: FaultSchedule = {
  cycle: clusterFaultCycle,
  pauseMs: [3_000, 8_000],
  kafkaOutageMs: [5_000, 20_000],
  brokerDownMs: [2_000, 8_000],
  poisonPerInjection: 3,
  owlpostReadyTimeoutMs: 30_000,
}

/**
 * CI: one owlpost kill, one PostgreSQL restart, poison and four broker faults (the busiest leader
 * twice, a random node, a graceful restart); the whole-cluster stop is left to the full run, where
 * three JVMs shutting down together cost half a minute.
 */
export const clusterCiSchedule: FaultSchedule = {
  cycle: [
    'kill-busiest-leader',
    'kill-owlpost',
    'kill-broker',
    'poison',
    'kill-busiest-leader',
    'restart-postgres-immediate',
    'restart-broker',
  ],
  pauseMs: [1_000, 2_000],
  kafkaOutageMs: [5_000, 6_000],
  brokerDownMs: [2_000, 4_000],
  poisonPerInjection: 2,
  owlpostReadyTimeoutMs: 20_000,
}

/** Only broker faults, no owlpost kills: every duplicate is then the cost of a broker fault. */
export const brokersOnlySchedule: FaultSchedule = {
  cycle: ['kill-busiest-leader', 'kill-broker', 'kill-busiest-leader', 'restart-broker'],
  pauseMs: [3_000, 8_000],
  kafkaOutageMs: [0, 0],
  brokerDownMs: [2_000, 8_000],
  poisonPerInjection: 0,
  owlpostReadyTimeoutMs: 30_000,
}
