import type { HandlerCheckpoint } from './handler-checkpoint.js'

/**
 * The one owner of the position a relay confirms to PostgreSQL. Pure: no I/O, no timers. The
 * relay tells it what the replication stream says (begins, commits, keepalives, a lost
 * connection), what it handed to which handler, and what each handler reports delivered; it
 * answers with `confirmed`, the only LSN the relay may acknowledge. Its invariant: `confirmed`
 * never covers a fact that was read and not yet delivered.
 *
 * Two rules live here and nowhere else:
 * - The chunk rule. A unit handed before its transaction's commit is known (a chunk of a large
 *   transaction, or a fact emitted outside any transaction) is tagged with the previous
 *   transaction's end LSN (`unitLsn()`), so delivering it never moves the position into or past
 *   the transaction it belongs to.
 * - The replay rule. After a reconnect PostgreSQL resends from the confirmed position; a
 *   transaction whose commit is at or before the last one handed in full is a replay (`begin()`
 *   says so) and is not handed again: its facts are delivered or still on their way.
 *
 * A checkpointed position (a handler that keeps its own durable checkpoint, such as the
 * exactly-once Kafka sink) confirms only what the handler reports: idle WAL is not confirmed
 * here but handed to the handler as an empty transaction (`idleAdvance()`), so the confirmed
 * position never leads the handler's checkpoint. After each reconnect `resume()` takes the
 * checkpoint: transactions ending at or before it are replays, everything after it is handed
 * afresh (what was handed and not checkpointed is lost to the handler and must be resent).
 *
 * Handlers report "delivered up to LSN" cumulatively, in the order units were handed to them:
 * reporting X says every unit handed to that handler with LSN at most X is delivered, except
 * units tagged by the chunk rule with exactly X, which a later, larger report covers. When a
 * handler has nothing in flight at all, the relay says so with `idle()`.
 */
export abstract class Position {
  /** The position that may be confirmed; only grows. */
  protected confirmedLsn: bigint
  /** End LSN of the last commit seen on the stream (replays included): the chunk rule's tag. */
  protected lastEnd: bigint
  /** Commit LSN of the last transaction handed in full: the replay rule's bound. */
  protected lastHandedCommit = -1n
  protected open = false
  /** The Begin's commit LSN of the open transaction. */
  protected openCommit = -1n
  protected readonly handlers: HandlerProgress[]

  protected constructor(handlerCount: number, initialLsn: bigint) {
    if (!Number.isInteger(handlerCount) || handlerCount < 1) {
      throw new RangeError(`a position needs at least one handler, got ${handlerCount}`)
    }
    this.confirmedLsn = initialLsn
    this.lastEnd = initialLsn
    this.handlers = Array.from({ length: handlerCount }, () => ({
      delivered: initialLsn,
      lastComplete: initialLsn,
      incomplete: [],
    }))
  }

  /** The position that may be confirmed to PostgreSQL. Only grows. */
  get confirmed(): bigint {
    return this.confirmedLsn
  }

  /** Between a Begin and its Commit. */
  get inTransaction(): boolean {
    return this.open
  }

  /** A Begin. Returns false for a replay: a transaction handed in full before, not to hand again. */
  begin(finalLsn: bigint): boolean {
    this.open = true
    this.openCommit = finalLsn
    return finalLsn > this.lastHandedCommit
  }

  /**
   * A fact read at `lsn` (in the open transaction, or outside any): false when it is not to be
   * handed (a checkpointed handler already holds it, the inside rule).
   */
  handsFact(_lsn: bigint): boolean {
    return true
  }

  /** The LSN to hand a unit with whose commit is not known yet: the previous transaction's end. */
  unitLsn(): bigint {
    return this.lastEnd
  }

  /** A unit went to handler `handler`: a whole transaction (`complete`, its end LSN) or a unit tagged by `unitLsn()`. */
  handed(handler: number, lsn: bigint, complete: boolean): void {
    const progress = this.progressOf(handler)
    if (complete) {
      if (lsn > progress.lastComplete) progress.lastComplete = lsn
    } else if (progress.incomplete.at(-1) !== lsn) {
      progress.incomplete.push(lsn)
    }
  }

  /** Handler `handler` reports everything handed to it up to `lsn` delivered (see the class comment). */
  delivered(handler: number, lsn: bigint): void {
    const progress = this.progressOf(handler)
    if (lsn > progress.delivered) progress.delivered = lsn
    while (progress.incomplete.length > 0 && progress.incomplete[0]! < lsn) progress.incomplete.shift()
    this.recompute()
  }

  /** The replication connection dropped: a transaction half read is forgotten (it will be resent). */
  connectionLost(): void {
    this.open = false
  }

  /** A Commit; `handedFacts` says whether any of its facts were handed (the last part among them). */
  protected recordCommit(commitLsn: bigint, endLsn: bigint, handedFacts: boolean): void {
    this.open = false
    if (endLsn > this.lastEnd) this.lastEnd = endLsn
    if (handedFacts && commitLsn > this.lastHandedCommit) this.lastHandedCommit = commitLsn
  }

  /**
   * Each busy handler holds the position at what it has delivered, or, once its whole
   * transactions are delivered, at the tag of its oldest outstanding chunk (whose facts lie after
   * it). With none busy, everything handed is delivered.
   */
  protected recompute(): void {
    let bound: bigint | undefined
    let handedUpTo = this.confirmedLsn
    for (const progress of this.handlers) {
      if (progress.lastComplete > handedUpTo) handedUpTo = progress.lastComplete
      let hold: bigint | undefined
      if (progress.delivered < progress.lastComplete) hold = progress.delivered
      else if (progress.incomplete.length > 0) hold = progress.incomplete[0]!
      if (hold !== undefined && (bound === undefined || hold < bound)) bound = hold
    }
    let candidate = bound ?? handedUpTo
    // Parts of the open transaction may still be on their way to other handlers: until its commit
    // is recorded, nothing after the previous transaction's end is settled.
    if (this.open && candidate > this.lastEnd) candidate = this.lastEnd
    if (candidate > this.confirmedLsn) this.confirmedLsn = candidate
  }

  protected progressOf(index: number): HandlerProgress {
    const progress = this.handlers[index]
    if (!progress) throw new RangeError(`no handler ${index}; the position has ${this.handlers.length}`)
    return progress
  }
}

/**
 * The position of plain handlers (any number): besides their reports it confirms idle WAL itself,
 * a keepalive's WAL end or a commit without facts, whenever nothing is in flight.
 */
export class PlainPosition extends Position {
  readonly kind = 'plain'

  constructor(handlerCount: number, initialLsn = 0n) {
    super(handlerCount, initialLsn)
  }

  /**
   * A Commit. `handedFacts` says whether any of its facts were handed (the last part among them);
   * a commit without any (an empty or a replayed transaction) is confirmed when nothing is in
   * flight, so a database busy with other writes does not pin WAL. `allIdle`: every handler
   * reports nothing in flight at this moment.
   */
  commit(commitLsn: bigint, endLsn: bigint, handedFacts: boolean, allIdle: boolean): void {
    this.recordCommit(commitLsn, endLsn, handedFacts)
    if (!handedFacts) this.#confirmIfIdle(endLsn, allIdle)
    this.recompute()
  }

  /** Handler `handler` has nothing in flight: everything handed to it so far is delivered. */
  idle(handler: number): void {
    const progress = this.progressOf(handler)
    progress.incomplete.length = 0
    if (progress.lastComplete > progress.delivered) progress.delivered = progress.lastComplete
    this.recompute()
  }

  /**
   * A keepalive: the server has sent everything before `walEnd`. With no transaction open and
   * nothing in flight (`allIdle`), all of it is done with and may be confirmed.
   */
  keepalive(walEnd: bigint, allIdle: boolean): void {
    this.#confirmIfIdle(walEnd, allIdle)
  }

  #confirmIfIdle(lsn: bigint, allIdle: boolean): void {
    // `allIdle` is what the relay sees; a handler still busy here is one whose report has not come yet.
    if (this.open || !allIdle || this.handlers.some(isBusy)) return
    if (lsn > this.confirmedLsn) this.confirmedLsn = lsn
  }
}

/**
 * The position of one handler that keeps its own durable checkpoint: it confirms only what the
 * handler reports. Idle WAL goes to the handler as empty transactions (`idleAdvance()`); a
 * handler's "nothing in flight" is not a checkpoint, so there is no `idle()` or `keepalive()`.
 */
export class CheckpointedPosition extends Position {
  readonly kind = 'checkpointed'
  /** The handler holds every transaction whose commit starts before this. */
  #skipBefore = 0n
  /** The handler holds this transaction's facts up to `factLsn` (the inside rule). */
  #inside: { commitLsn: bigint; factLsn: bigint } | undefined

  constructor(initialLsn = 0n) {
    super(1, initialLsn)
  }

  override begin(finalLsn: bigint): boolean {
    const fresh = super.begin(finalLsn)
    // A commit starting before the checkpoint ends at or before it: the checkpoint is an end LSN.
    return fresh && finalLsn >= this.#skipBefore
  }

  override handsFact(lsn: bigint): boolean {
    const inside = this.#inside
    if (inside === undefined) return true
    if (this.open) return this.openCommit !== inside.commitLsn || lsn > inside.factLsn
    // Outside a transaction: streamed before that transaction's Begin exactly when it lies below its commit.
    return lsn > inside.commitLsn
  }

  /**
   * The handler says, at the start of a replication session, what it holds durably: an end LSN,
   * maybe with a position inside the next transaction. The end LSN becomes confirmed; what was
   * handed after the checkpoint is forgotten, to be resent.
   */
  resume(checkpoint: HandlerCheckpoint): void {
    const { endLsn, inside } = checkpoint
    // A transaction's commit record lies after the end of every transaction committed before it.
    if (inside && inside.commitLsn < endLsn) {
      throw new RangeError(
        `a checkpoint inside the transaction committing at ${inside.commitLsn} cannot end at ${endLsn}, after it`,
      )
    }
    this.open = false
    this.#inside = inside
    this.#skipBefore = endLsn
    this.lastHandedCommit = -1n
    if (endLsn > this.confirmedLsn) this.confirmedLsn = endLsn
    // Ends seen after the checkpoint belong to transactions that will be resent.
    this.lastEnd = this.confirmedLsn
    for (const progress of this.handlers) {
      progress.delivered = this.lastEnd
      progress.lastComplete = this.lastEnd
      progress.incomplete.length = 0
    }
  }

  /**
   * A keepalive: with no transaction open, everything before `walEnd` is done with. Returns true
   * when that moves past the last end seen; the relay then hands an empty transaction ending at
   * `walEnd`, confirmed once the handler checkpoints it.
   */
  idleAdvance(walEnd: bigint): boolean {
    if (this.open || walEnd <= this.lastEnd) return false
    this.lastEnd = walEnd
    return true
  }

  /** A Commit; `handedFacts`: it went to the handler (every commit does but a replay). */
  commit(commitLsn: bigint, endLsn: bigint, handedFacts: boolean): void {
    this.recordCommit(commitLsn, endLsn, handedFacts)
    // Past that transaction, the handler's checkpoint holds nothing the stream will bring.
    if (this.#inside && commitLsn >= this.#inside.commitLsn) this.#inside = undefined
    this.recompute()
  }
}

interface HandlerProgress {
  /** The largest LSN the handler reported delivered. */
  delivered: bigint
  /** End LSN of the last whole transaction handed to it. */
  lastComplete: bigint
  /** Tags of chunk-rule units handed to it and not yet covered, in handing order, distinct. */
  incomplete: bigint[]
}

function isBusy(progress: HandlerProgress): boolean {
  return progress.delivered < progress.lastComplete || progress.incomplete.length > 0
}
