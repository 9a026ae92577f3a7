import type { FaultCounts } from './faults.js'
import type { Verdict } from './verify.js'

/** The one line a chaos run ends with. */
export function summaryLine(verdict: Verdict, faults: FaultCounts, exactlyOnce = false): string {
  return (
    `facts=${verdict.facts} lost=${verdict.lost.length} reordered=${verdict.reordered.length} ` +
    `duplicates=${verdict.duplicates} deadlettered=${verdict.deadLettered} kills=${faults.kills}` +
    (exactlyOnce ? ` fenced=${faults.fenced}` : '')
  )
}

/** Every way the run failed, one sentence each; empty when it passed. */
export function problemsOf(verdict: Verdict, exactlyOnce = false): string[] {
  const problems: string[] = []
  if (exactlyOnce && verdict.duplicates > 0)
    problems.push(`${verdict.duplicates} duplicates read with read_committed under exactly-once`)
  const sample = (items: unknown[]) => JSON.stringify(items.slice(0, 5))
  if (verdict.lost.length > 0)
    problems.push(`${verdict.lost.length} committed facts lost, e.g. ${sample(verdict.lost)}`)
  if (verdict.reordered.length > 0)
    problems.push(
      `${verdict.reordered.length} facts out of aggregate order, e.g. ${sample(verdict.reordered)}`,
    )
  if (verdict.rolledBackArrived.length > 0)
    problems.push(
      `${verdict.rolledBackArrived.length} rolled-back facts arrived, e.g. ${sample(verdict.rolledBackArrived)}`,
    )
  if (verdict.uncommittedArrived.length > 0)
    problems.push(
      `${verdict.uncommittedArrived.length} facts arrived that the ledger says never committed, e.g. ${sample(verdict.uncommittedArrived)}`,
    )
  if (verdict.poisonMissing.length > 0)
    problems.push(
      `${verdict.poisonMissing.length} poison messages not dead-lettered, e.g. ${sample(verdict.poisonMissing)}`,
    )
  if (verdict.unexpectedDeadLetters.length > 0)
    problems.push(
      `${verdict.unexpectedDeadLetters.length} records dead-lettered that are not poison, e.g. ${sample(verdict.unexpectedDeadLetters)}`,
    )
  return problems
}
