/// <reference types="node" preserve="true" />
import type { ReplicationEvent } from '@factlib/wal'
import { Aborted } from './abortable.js'
import type { FactTransaction } from './fact-transaction.js'
import type { FactHandler, HandlerEvent } from './handler.js'
import type { Position } from './position.js'
import { Session, type SessionEnd, sessionEnded } from './session.js'
import { type AssemblerOutput, TransactionAssembler } from './transaction-assembler.js'

/** What the dispatcher needs of a replication stream: events to read, and where to acknowledge. */
export interface DispatchedStream extends AsyncIterable<ReplicationEvent> {
  /** The next event if already received, else undefined (then wait with the iterator). */
  read(): ReplicationEvent | undefined
  acknowledge(lsn: bigint): void
}

/** A transaction's end, as the assembler gives it. */
export type CommitOutput = Extract<AssemblerOutput, { tag: 'commit' }>

/** The relay hooks the dispatcher calls (see RelayHooks). */
export interface DispatchHooks {
  handing?(transaction: FactTransaction): void
  handingFailed?(transaction: FactTransaction, error: unknown): void
  confirmed?(lsn: bigint): void
}

export interface DispatcherSettings {
  /** The handlers, each once, and the index of each prefix's handler among them. */
  handlers: readonly FactHandler[]
  route: ReadonlyMap<string, number>
  maxChunkFacts: number
  hooks: DispatchHooks
}

/**
 * Hands what the replication stream brings to the handlers, transaction by transaction, and makes
 * every call into the Position: handed before each send, a commit once its parts are taken, what
 * handlers report as they report it. The one place that acknowledges to PostgreSQL (`#confirm`).
 * A session ends with a value (SessionEnd) saying why; the session loop decides what follows.
 *
 * The two handler kinds differ only in what idle WAL and a commit without facts do, and in what
 * a handler with nothing in flight means: PlainDispatcher and CheckpointedDispatcher say.
 */
export abstract class Dispatcher<P extends Position> {
  readonly #handlers: readonly FactHandler[]
  readonly #route: ReadonlyMap<string, number>
  readonly #assembler: TransactionAssembler
  readonly #hooks: DispatchHooks
  /**
   * Sends not yet settled, per handler: their facts are handed, and a handler need not count them
   * in `inFlight` before it has taken them (the Kafka sink's send pends on its in-flight limit
   * first), so a handler with one is not idle whatever it says.
   */
  readonly #sending: number[]
  /** Handlers that received part of the transaction being read: they get its end too. */
  readonly #partsHandedTo = new Set<number>()
  #lastConfirmed = 0n
  /** Where confirmations go: the live session's stream, kept past a stop so shutdown can confirm. */
  #stream: DispatchedStream | undefined
  /** The live session, which a handler's loss ends. */
  #session: Session | undefined
  /** A handler that stopped for good, between sessions or in one: no session may start. */
  #stoppedForGood: Error | undefined

  protected constructor(
    protected readonly position: P,
    settings: DispatcherSettings,
  ) {
    this.#handlers = settings.handlers
    this.#route = settings.route
    this.#hooks = settings.hooks
    this.#sending = this.#handlers.map(() => 0)
    this.#assembler = new TransactionAssembler(
      new Set(settings.route.keys()),
      position,
      settings.maxChunkFacts,
    )
    for (const [index, handler] of this.#handlers.entries()) {
      handler.events((event: HandlerEvent) => this.#onEvent(index, event))
    }
  }

  get handlers(): readonly FactHandler[] {
    return this.#handlers
  }

  /** The position that may be confirmed. */
  get confirmed(): bigint {
    return this.position.confirmed
  }

  /** What was last acknowledged to PostgreSQL (0n before anything). */
  get lastConfirmed(): bigint {
    return this.#lastConfirmed
  }

  /** Facts handed to handlers and not yet delivered. */
  get inFlight(): number {
    let facts = 0
    for (const handler of this.#handlers) facts += handler.inFlight
    return facts
  }

  /** The error of a handler that stopped for good, if one did. */
  get stoppedForGood(): Error | undefined {
    return this.#stoppedForGood
  }

  /** A new replication session on `stream`: whatever was half read before is forgotten. */
  openSession(stream: DispatchedStream, signal: AbortSignal): Session {
    this.#stream = stream
    this.#assembler.resetConnection()
    this.position.connectionLost()
    this.#partsHandedTo.clear()
    this.#session = new Session(signal)
    return this.#session
  }

  /** The session's stream is closing: confirmations have nowhere to go until the next one. */
  detach(): void {
    this.#stream = undefined
  }

  /** Hands what the stream brings until the session ends, and says why it ended. */
  async stream(session: Session): Promise<SessionEnd> {
    const stream = this.#stream!
    // PostgreSQL knows the confirmed position from the slot; this one may have moved since.
    if (this.#lastConfirmed > 0n && !session.ended) stream.acknowledge(this.#lastConfirmed)
    const events = stream[Symbol.asyncIterator]()
    try {
      while (!session.ended) {
        // Events already received are handled without a promise each; only waiting for the
        // server or for a handler goes through the event loop.
        let event = stream.read()
        if (event === undefined) {
          const next = await session.wait(events.next())
          if (next === sessionEnded) break
          if (next.done) {
            session.end({ reason: 'stream-failed', error: new Error('replication stream ended') })
            break
          }
          event = next.value
        }
        const handing = this.#handle(event, session)
        if (handing) await session.wait(handing)
      }
    } catch (error) {
      // What the stream throws: a broken connection, a message that does not parse.
      session.end({ reason: 'stream-failed', error })
    } finally {
      if (this.#session === session) this.#session = undefined
    }
    return session.ended!
  }

  /** At shutdown, after the handlers drained: confirm what they delivered. */
  settle(): void {
    this.noteIdleHandlers()
    this.#confirm()
  }

  /** What a keepalive does, with no transaction to hand: a promise when something went to a handler. */
  protected abstract keepalive(walEnd: bigint, session: Session): Promise<unknown> | undefined

  /** A commit whose facts (if any) are handed: the protocol adds the empty part it wants handed, if any. */
  protected abstract commitParts(parts: Map<number, FactTransaction>, commit: CommitOutput): void

  /** Records a commit in the position, its parts handed (`handedFacts`: there were some). */
  protected abstract recordCommit(commitLsn: bigint, endLsn: bigint, handedFacts: boolean): void

  /** Tells the position which handlers have nothing in flight, where that means anything. */
  protected abstract noteIdleHandlers(): void

  /** Handler `index` reported or took something: tell the position if it now has nothing in flight. */
  protected abstract noteIdle(index: number): void

  /** The one place that acknowledges: whatever the position says may be confirmed. */
  protected confirm(): void {
    this.#confirm()
  }

  /** Whether handler `index` has everything handed to it delivered (a query: tells no one). */
  protected isIdle(index: number): boolean {
    return this.#sending[index] === 0 && this.#handlers[index]!.inFlight === 0
  }

  /** Whether every handler has everything handed to it delivered. */
  protected allIdle(): boolean {
    return this.#handlers.every((_, index) => this.isIdle(index))
  }

  protected send(index: number, transaction: FactTransaction, session: Session): Promise<boolean> {
    return this.#send(index, transaction, session)
  }

  #confirm(): void {
    const lsn = this.position.confirmed
    if (lsn <= this.#lastConfirmed) return
    this.#lastConfirmed = lsn
    this.#stream?.acknowledge(lsn)
    this.#hooks.confirmed?.(lsn)
  }

  #onEvent(index: number, event: HandlerEvent): void {
    if (event.type === 'delivered') {
      this.position.delivered(index, event.lsn)
      this.noteIdle(index)
      this.#confirm()
      return
    }
    if (event.fatal) this.#stoppedForGood ??= event.error
    this.#session?.end({ reason: 'lost', error: event.error, fatal: event.fatal })
  }

  /** Returns a promise when something went to a handler, else nothing to wait for. */
  #handle(event: ReplicationEvent, session: Session): Promise<unknown> | undefined {
    if (event.tag === 'keepalive') return this.keepalive(event.walEnd, session)
    const output = this.#assembler.accept(event.message)
    if (!output) return undefined
    return this.#handOver(output, session)
  }

  /**
   * Hands one assembler output over, part after part. It runs to its end even when the session
   * ends meanwhile (only the wait for it is interrupted): once one handler has its part of a
   * transaction, the others get theirs too, unless a handler refuses one.
   */
  async #handOver(output: AssemblerOutput, session: Session): Promise<void> {
    if (output.tag === 'part') {
      for (const [index, part] of this.#split(output.transaction)) {
        if (!(await this.#send(index, part, session))) return
        if (this.position.inTransaction) this.#partsHandedTo.add(index)
      }
      return
    }
    const parts = output.transaction ? this.#split(output.transaction) : new Map<number, FactTransaction>()
    // A handler that got part of this transaction gets its end too, so its report covers the parts.
    for (const index of this.#partsHandedTo) {
      if (!parts.has(index)) parts.set(index, { endLsn: output.endLsn, complete: true, facts: [] })
    }
    this.#partsHandedTo.clear()
    this.commitParts(parts, output)
    for (const [index, part] of parts) if (!(await this.#send(index, part, session))) return
    this.recordCommit(output.commitLsn, output.endLsn, parts.size > 0)
    this.#confirm()
  }

  /** The transaction's facts per handler; one handler (the usual case) costs no copy. */
  #split(transaction: FactTransaction): Map<number, FactTransaction> {
    const parts = new Map<number, FactTransaction>()
    if (this.#handlers.length === 1) {
      parts.set(0, transaction)
      return parts
    }
    for (const fact of transaction.facts) {
      const index = this.#route.get(fact.prefix)!
      let part = parts.get(index)
      if (!part) {
        part = { ...transaction, facts: [] }
        parts.set(index, part)
      }
      part.facts.push(fact)
    }
    return parts
  }

  /** Hands a unit to a handler; false when the handler refused it (the session has then ended). */
  async #send(index: number, transaction: FactTransaction, session: Session): Promise<boolean> {
    this.#hooks.handing?.(transaction)
    this.position.handed(index, transaction.endLsn, transaction.complete)
    this.#sending[index]!++
    try {
      await this.#handlers[index]!.send(transaction)
    } catch (error) {
      this.#sending[index]!--
      // A refusal that follows a loss or a stop is its consequence, not a new failure.
      if (error instanceof Aborted) session.end({ reason: 'stopped' })
      else if (session.ended?.reason !== 'lost') {
        this.#hooks.handingFailed?.(transaction, error)
        session.end({ reason: 'halted', error })
      }
      return false
    }
    this.#sending[index]!--
    this.noteIdle(index)
    return true
  }
}
