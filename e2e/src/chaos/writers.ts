import { setTimeout as sleep } from 'node:timers/promises'
import type { FactEnvelope, FactInput, Producer } from '@factlib/producer'
import type { Sql } from 'postgres'
import { didCommit } from './in-doubt.js'
import { Session } from './transaction.js'

export interface WritersOptions {
  /** Pool for the ledger questions; each writer opens a session of its own from `url`. */
  sql: Sql
  url: string
  producer: Producer
  /** Facts that must commit, across all writers. */
  facts: number
  writers: number
  aggregatesPerWriter: number
  aggregateTypes: readonly string[]
  /** Upper bound on committed facts per second across writers, so faults land during the writing. */
  ratePerSecond?: number
  /** Share of transactions rolled back on purpose, and of those with a rolled-back savepoint. */
  rollbackShare?: number
  savepointShare?: number
}

export interface WritersReport {
  committed: number
  transactions: number
  rolledBackTransactions: number
  rolledBackSavepoints: number
  /** Ids of facts that were emitted and then rolled back (whole transaction or savepoint). */
  rolledBackIds: Set<string>
  /** Commits whose reply never came; the ledger decided each one. */
  inDoubt: number
  inDoubtCommitted: number
  /** Transactions that failed before their commit was sent (connection lost mid-way). */
  failedBeforeCommit: number
}

const sequenceOf = (envelope: FactEnvelope) =>
  (JSON.parse(new TextDecoder().decode(envelope.payload)) as { sequence: number }).sequence

/** The sequence of each aggregate lives in its one owning writer, so order is checkable per aggregate. */
function aggregateIdOf(writer: number, index: number): string {
  return `w${writer}-a${index}`
}

/**
 * Runs the writers until `facts` facts committed. Each transaction emits 1 to 5 kept facts for
 * aggregates of its writer and records them in the ledger; some roll back whole, some emit facts
 * inside a savepoint that rolls back. Connection loss is survived: the writer asks the ledger
 * whether an unanswered commit happened, then goes on with fresh facts.
 */
export async function runWriters(options: WritersOptions, report: WritersReport): Promise<void> {
  const { writers, facts } = options
  const begun = Date.now()
  await Promise.all(
    Array.from({ length: writers }, (_, writer) => {
      const quota = Math.floor(facts / writers) + (writer < facts % writers ? 1 : 0)
      return runWriter(options, report, writer, quota, begun)
    }),
  )
}

async function runWriter(
  options: WritersOptions,
  report: WritersReport,
  writer: number,
  quota: number,
  begun: number,
): Promise<void> {
  const session = new Session(options.url)
  try {
    await writeUntil(options, report, writer, quota, begun, session)
  } finally {
    await session.end()
  }
}

async function writeUntil(
  options: WritersOptions,
  report: WritersReport,
  writer: number,
  quota: number,
  begun: number,
  session: Session,
): Promise<void> {
  const { sql, producer, aggregatesPerWriter, aggregateTypes } = options
  const rollbackShare = options.rollbackShare ?? 0.1
  const savepointShare = options.savepointShare ?? 0.1
  const perWriterRate = options.ratePerSecond ? options.ratePerSecond / options.writers : undefined
  const sequences = new Array<number>(aggregatesPerWriter).fill(0)
  const nextFact = (): FactInput => {
    const index = Math.floor(Math.random() * aggregatesPerWriter)
    sequences[index] = (sequences[index] ?? 0) + 1
    const aggregateId = aggregateIdOf(writer, index)
    return {
      aggregateType: aggregateTypes[(writer * aggregatesPerWriter + index) % aggregateTypes.length] as string,
      aggregateId,
      eventType: 'chaos.changed',
      payload: new TextEncoder().encode(JSON.stringify({ sequence: sequences[index], writer })),
    }
  }
  let committed = 0
  while (committed < quota) {
    if (perWriterRate) {
      const due = begun + (committed / perWriterRate) * 1000
      if (due > Date.now()) await sleep(due - Date.now())
    }
    const roll = Math.random()
    const rollBack = roll < rollbackShare
    const withSavepoint = !rollBack && roll < rollbackShare + savepointShare
    const kept = Math.min(1 + Math.floor(Math.random() * 5), quota - committed)
    const beforeCount = withSavepoint ? Math.ceil(kept / 2) : kept
    // Sequence numbers are taken in emit order, so the kept facts of every committed transaction
    // carry increasing numbers even when facts in between were rolled back.
    const before = Array.from({ length: beforeCount }, nextFact)
    const inside = withSavepoint ? Array.from({ length: 1 + Math.floor(Math.random() * 3) }, nextFact) : []
    const after = Array.from({ length: kept - beforeCount }, nextFact)
    const emitted: FactEnvelope[] = []
    const droppedInSavepoint: FactEnvelope[] = []
    let commitSent = false
    try {
      const outcome = await session.transaction(
        async ({ run, executor }) => {
          const emit = (facts: FactInput[]) => producer.emitMany(executor, facts)
          emitted.push(...(await emit(before)))
          if (inside.length > 0) {
            await run((tx) => tx`savepoint inside`)
            droppedInSavepoint.push(...(await emit(inside)))
            await run((tx) => tx`rollback to savepoint inside`)
          }
          if (after.length > 0) emitted.push(...(await emit(after)))
          const rows = emitted.map((envelope) => ({
            id: envelope.id,
            aggregate_id: envelope.aggregateId,
            sequence: sequenceOf(envelope),
          }))
          await run((tx) => tx`insert into chaos_ledger ${tx(rows)}`)
          return rollBack ? 'rollback' : 'commit'
        },
        () => {
          commitSent = true
        },
      )
      for (const envelope of droppedInSavepoint) report.rolledBackIds.add(envelope.id)
      if (outcome === 'rolled back') {
        report.rolledBackTransactions++
        for (const envelope of emitted) report.rolledBackIds.add(envelope.id)
        continue
      }
      report.transactions++
      committed += emitted.length
      report.committed += emitted.length
      if (droppedInSavepoint.length > 0) report.rolledBackSavepoints++
    } catch {
      for (const envelope of droppedInSavepoint) report.rolledBackIds.add(envelope.id)
      if (!commitSent) {
        // The commit was never sent: nothing of this transaction can exist.
        report.failedBeforeCommit++
        for (const envelope of emitted) report.rolledBackIds.add(envelope.id)
      } else {
        report.inDoubt++
        const first = emitted[0]
        if (first && (await didCommit(sql, 'chaos_ledger', 'id', first.id))) {
          report.inDoubtCommitted++
          report.transactions++
          committed += emitted.length
          report.committed += emitted.length
        }
      }
      await sleep(200)
    }
  }
}

export function emptyWritersReport(): WritersReport {
  return {
    committed: 0,
    transactions: 0,
    rolledBackTransactions: 0,
    rolledBackSavepoints: 0,
    rolledBackIds: new Set(),
    inDoubt: 0,
    inDoubtCommitted: 0,
    failedBeforeCommit: 0,
  }
}
