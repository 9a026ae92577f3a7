import type { FactInput } from '@factlib/core'
import type { Producer } from '@factlib/producer'
import type { Sql } from 'postgres'
import type { Workload } from './fact-workload.js'

/**
 * Commits `count` facts, `perTransaction` per transaction (one emitMany each), on `concurrency`
 * connections as fast as they go. Returns the wall time it took.
 */
export async function commitBacklog(
  sql: Sql,
  producer: Producer,
  workload: Workload,
  options: { count: number; perTransaction: number; concurrency: number; firstFact?: number },
): Promise<{ seconds: number }> {
  const started = performance.now()
  let next = options.firstFact ?? 0
  const end = next + options.count
  const worker = async () => {
    while (next < end) {
      const first = next
      const last = Math.min(end, first + options.perTransaction)
      next = last
      const facts: FactInput[] = []
      for (let n = first; n < last; n++) facts.push(workload.fact(n))
      await sql.begin((tx) => producer.emitMany(tx, facts))
    }
  }
  await Promise.all(Array.from({ length: options.concurrency }, worker))
  return { seconds: (performance.now() - started) / 1000 }
}

export interface PacedWriters {
  /** Transactions committed so far. */
  readonly committed: number
  /** Stops issuing new transactions and waits for those in progress. */
  stop(): Promise<PacedResult>
}

export interface PacedResult {
  committed: number
  failed: number
  seconds: number
  /** Transactions that started more than 100 ms after their scheduled time (writer could not keep up). */
  late: number
}

/**
 * One fact per transaction (a single autocommitted pg_logical_emit_message statement) at
 * `ratePerSecond`, on a schedule: transaction k is due at
 * start + k / rate, so a slow commit does not lower the rate as long as connections are free.
 * Failed commits (PostgreSQL busy or gone) are counted, not retried.
 */
export function startPacedWriters(
  sql: Sql,
  producer: Producer,
  workload: Workload,
  options: {
    ratePerSecond: number
    concurrency: number
    firstFact: number
    durationSeconds?: number
    /** Called with each fact's id when its commit returned (Date.now()). */
    onCommitted?: (id: string, at: number) => void
  },
): PacedWriters {
  const started = performance.now()
  let scheduled = 0
  let committed = 0
  let failed = 0
  let late = 0
  let stopped = false
  let inProgress = 0
  const running = new Set<Promise<void>>()
  // One statement outside BEGIN/COMMIT is a transaction of its own: one fact, one commit, one
  // round trip, so the writers cost the machine as little as possible.
  const autocommit = { query: (text: string, params: unknown[]) => sql.unsafe(text, params as never[]) }
  const tick = () => {
    if (stopped) return
    const elapsed = (performance.now() - started) / 1000
    if (options.durationSeconds !== undefined && elapsed >= options.durationSeconds) {
      stopped = true
      return
    }
    const due = Math.floor(elapsed * options.ratePerSecond)
    while (scheduled < due && inProgress < options.concurrency) {
      const dueAt = started + (scheduled / options.ratePerSecond) * 1000
      if (performance.now() - dueAt > 100) late++
      const n = options.firstFact + scheduled++
      inProgress++
      const commit = Promise.resolve()
        .then(() => producer.emit(autocommit, workload.fact(n)))
        .then(
          (fact) => {
            committed++
            options.onCommitted?.(fact.id, Date.now())
          },
          () => {
            failed++
          },
        )
        .finally(() => {
          inProgress--
          running.delete(commit)
          tick()
        })
      running.add(commit)
    }
  }
  const timer = setInterval(tick, 2)
  return {
    get committed() {
      return committed
    },
    async stop() {
      stopped = true
      clearInterval(timer)
      while (running.size > 0) await Promise.all([...running])
      return { committed, failed, late, seconds: (performance.now() - started) / 1000 }
    },
  }
}
