import type { FaultSchedule } from './faults.js'
import { faultCycle } from './run-chaos.js'

/** The full run: Kafka outages of 5 to 20 s, a fault every 3 to 8 s. */
export const fullSchedule: FaultSchedule = {
  cycle: faultCycle,
  pauseMs: [3_000, 8_000],
  kafkaOutageMs: [5_000, 20_000],
  poisonPerInjection: 3,
  owlpostReadyTimeoutMs: 30_000,
}

/** CI: the same faults, compressed so one cycle and the writing fit in about a minute. */
export const ciSchedule: FaultSchedule = {
  cycle: faultCycle,
  pauseMs: [1_000, 2_500],
  kafkaOutageMs: [5_000, 6_000],
  poisonPerInjection: 2,
  owlpostReadyTimeoutMs: 20_000,
}

/**
 * Only SIGKILLs of owlpost, every 3 to 8 s: what a crash costs in redelivered facts, measured
 * per kill (duplicates / kills) at owlpost's default settings.
 */
export const killsSchedule: FaultSchedule = {
  cycle: ['kill-owlpost'],
  pauseMs: [3_000, 8_000],
  kafkaOutageMs: [0, 0],
  poisonPerInjection: 0,
  owlpostReadyTimeoutMs: 30_000,
}

/**
 * With exactly-once, a takeover of a frozen active follows the first kill: early, while facts
 * flow, so the frozen active has a Kafka transaction open and must be fenced.
 */
const exactlyOnceCycle = [faultCycle[0], 'takeover', ...faultCycle.slice(1)] as const

/** The full schedule plus standby takeovers, for `--exactly-once`. */
export const exactlyOnceSchedule: FaultSchedule = { ...fullSchedule, cycle: exactlyOnceCycle }

/** The CI schedule plus a takeover. */
export const ciExactlyOnceSchedule: FaultSchedule = { ...ciSchedule, cycle: exactlyOnceCycle }
