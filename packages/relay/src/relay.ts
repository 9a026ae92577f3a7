/// <reference types="node" preserve="true" />
import {
  type BackoffSettings,
  backoffDelay,
  defaultMaxMessageBytes,
  formatLsn,
  PostgresError,
  pause,
  ReplicationConnection,
  type ReplicationEvent,
  type ReplicationStream,
} from '@factlib/wal'
import { Aborted, abortable, Interrupter } from './abortable.js'
import type { FactTransaction } from './fact-transaction.js'
import {
  type FactFunction,
  type FactHandler,
  FunctionHandler,
  type HandlerErrorPolicy,
  isFactHandler,
} from './handler.js'
import { asHandlerCheckpoint, type HandlerCheckpoint } from './handler-checkpoint.js'
import { type Logger, silentLogger } from './logger.js'
import { type MissingSlotGuard, SlotRecreateRefusedError } from './missing-slot.js'
import { Position } from './position.js'
import { ensurePublicationAndSlot } from './slot-setup.js'
import { type AssemblerOutput, TransactionAssembler } from './transaction-assembler.js'

/** SQLSTATE object_in_use: another walsender holds the slot, so this instance is the standby. */
const slotInUse = '55006'

export interface SourceOptions {
  /** `postgres://user:password@host:port/db` of the primary; the role needs REPLICATION. */
  connectionString: string
  slot: string
  publication: string
  /** The `pg_logical_emit_message` prefixes to read; others are ignored. */
  prefixes: readonly string[]
  applicationName?: string
  /** Create the publication (with no tables) and the pgoutput slot when missing. Default true. */
  createSlot?: boolean
  /** The keepalive status update period. Default 10 000 ms. */
  statusIntervalMs?: number
  /** A moved position reaches PostgreSQL within this long of the previous update. Default 100 ms. */
  confirmIntervalMs?: number
  /** No data or keepalive for this long: reconnect. Default 90 000 ms. */
  silenceTimeoutMs?: number
  /** Facts of one transaction held before they go out as a part. Default 1,000. */
  maxChunkFacts?: number
  /**
   * The largest WAL message held whole (@factlib/wal's `maxMessageBytes`). A logical message over
   * it is read past without being held and dead-lettered with its size, SHA-256 and first bytes.
   * Default 8 MiB (`defaultMaxMessageBytes`).
   */
  maxMessageBytes?: number
  /** On PostgreSQL 17, create the slot with failover = true (and switch an existing one). Default true. */
  failoverSlot?: boolean
  /** Asked before a missing slot is created; throws SlotRecreateRefusedError to halt instead. */
  missingSlotGuard?: MissingSlotGuard
}

/** The relay's state, for readiness probes and logs. */
export type RelayRole = 'starting' | 'standby' | 'active' | 'reconnecting' | 'stopping' | 'stopped' | 'failed'

/** The step of a replication session that failed, for metrics. */
export type SessionStep = 'connect' | 'slot_setup' | 'start_replication' | 'stream'

export interface RelayHooks {
  /** A transaction (or part) is about to go to a handler. */
  handing?(transaction: FactTransaction): void
  /** A handler refused a transaction; the relay stops. */
  handingFailed?(transaction: FactTransaction, error: unknown): void
  /** A replication session broke at `step`; the relay reconnects with backoff. */
  sessionFailed?(error: unknown, step: SessionStep): void
  roleChanged?(role: RelayRole): void
  /** The position confirmed to PostgreSQL moved. */
  confirmed?(lsn: bigint): void
}

export interface RelayOptions {
  source: SourceOptions
  /** The handler of every prefix, or of those `handlers` does not name. */
  handler?: FactHandler | FactFunction
  /** One handler per prefix (the seed's RegisterHandler). */
  handlers?: Readonly<Record<string, FactHandler | FactFunction>>
  /** What a function handler's failure does. Default 'halt'. Object handlers decide for themselves. */
  onHandlerError?: HandlerErrorPolicy
  /** How often a standby tries to take the slot. Default 2 000 ms. */
  standbyRetryMs?: number
  /** The cap of the reconnect backoff. Default 30 000 ms. */
  reconnectMaxBackoffMs?: number
  /** How long `stop` waits for facts in flight. Default 15 000 ms. */
  shutdownTimeoutMs?: number
  logger?: Logger
  hooks?: RelayHooks
}

export interface RelayStatus {
  role: RelayRole
  postgresConnected: boolean
  /** The position that may be confirmed, as `X/Y`. */
  confirmedLsn: string
  /** Facts handed to handlers and not yet delivered. */
  inFlight: number
}

export interface Relay {
  /** Runs until `signal` aborts (then drains, confirms and closes) or a handler halts it (rejects). */
  run(signal: AbortSignal): Promise<void>
  status(): RelayStatus
  readonly failed: boolean
}

/**
 * A relay: reads the slot, hands each prefix's facts to its handler transaction by transaction,
 * and confirms to PostgreSQL only what every handler has delivered. It reconnects with backoff,
 * waits as a standby while another relay holds the slot, and drains on shutdown. Reading is
 * pull-based: while a handler's `send` pends, nothing more is read.
 */
export function createRelay(options: RelayOptions): Relay {
  return new SlotRelay(options)
}

class SlotRelay implements Relay {
  #role: RelayRole = 'starting'
  #postgresConnected = false
  #step: SessionStep = 'connect'
  /** The live session; kept past an abort so shutdown can confirm before closing it. */
  #session: { connection: ReplicationConnection; stream?: ReplicationStream } | undefined
  readonly #source: Required<Omit<SourceOptions, 'applicationName' | 'missingSlotGuard'>> &
    Pick<SourceOptions, 'missingSlotGuard'> & { applicationName: string }
  readonly #handlers: FactHandler[]
  /** Handler index per prefix. */
  readonly #route = new Map<string, number>()
  readonly #position: Position
  readonly #assembler: TransactionAssembler
  readonly #logger: Logger
  readonly #hooks: RelayHooks
  readonly #stop = new AbortController()
  /** Handlers that received part of the transaction being read: they get its end too. */
  readonly #partsHandedTo = new Set<number>()
  #lastConfirmed = 0n
  /** The one handler keeps its own checkpoint (see FactHandler.resume). */
  readonly #checkpointed: boolean
  readonly #reconnectBackoff: BackoffSettings
  /** Ends the current replication session when a checkpointed handler lost its uncommitted facts. */
  #endSession: ((error: Error) => void) | undefined
  /** Why the current session is ending, when the handler lost what it had not checkpointed. */
  #lost: Error | undefined
  #lostFatal = false

  constructor(private readonly options: RelayOptions) {
    const source = options.source
    this.#reconnectBackoff = { initialMs: 250, maxMs: options.reconnectMaxBackoffMs ?? 30_000, jitter: 0.5 }
    this.#source = {
      createSlot: true,
      statusIntervalMs: 10_000,
      confirmIntervalMs: 100,
      silenceTimeoutMs: 90_000,
      maxChunkFacts: 1_000,
      maxMessageBytes: defaultMaxMessageBytes,
      failoverSlot: true,
      applicationName: 'factlib-relay',
      ...source,
    }
    this.#logger = options.logger ?? silentLogger
    this.#hooks = options.hooks ?? {}
    if (source.prefixes.length === 0) throw new RangeError('source.prefixes: name at least one prefix')
    const wrap = (handler: FactHandler | FactFunction): FactHandler =>
      isFactHandler(handler)
        ? handler
        : new FunctionHandler(
            handler,
            options.onHandlerError ?? 'halt',
            this.#stop.signal,
            this.#logger,
            options.reconnectMaxBackoffMs ?? 30_000,
          )
    const indexOf = new Map<FactHandler | FactFunction, number>()
    this.#handlers = []
    for (const prefix of source.prefixes) {
      const given = options.handlers?.[prefix] ?? options.handler
      if (!given)
        throw new RangeError(`no handler for prefix '${prefix}': give handlers['${prefix}'] or handler`)
      let index = indexOf.get(given)
      if (index === undefined) {
        index = this.#handlers.push(wrap(given)) - 1
        indexOf.set(given, index)
      }
      this.#route.set(prefix, index)
    }
    this.#checkpointed = this.#handlers.some((handler) => typeof handler.resume === 'function')
    if (this.#checkpointed && this.#handlers.length > 1) {
      throw new RangeError(
        'a handler that keeps its own checkpoint (resume) must handle every prefix: give it as `handler`',
      )
    }
    this.#position = new Position(this.#handlers.length, 0n, this.#checkpointed)
    this.#assembler = new TransactionAssembler(
      new Set(source.prefixes),
      this.#position,
      this.#source.maxChunkFacts,
    )
    for (const [index, handler] of this.#handlers.entries()) {
      handler.onDelivered((lsn) => {
        this.#position.delivered(index, lsn)
        if (handler.inFlight === 0) this.#position.idle(index)
        this.#confirm()
      })
      handler.onLost?.((error, fatal) => {
        if (fatal && !this.#lostFatal) {
          this.#lostFatal = true
          this.#lost = error
        }
        this.#endSession?.(error)
      })
    }
  }

  get failed(): boolean {
    return this.#role === 'failed'
  }

  status(): RelayStatus {
    return {
      role: this.#role,
      postgresConnected: this.#postgresConnected,
      confirmedLsn: formatLsn(this.#position.confirmed),
      inFlight: this.#inFlight(),
    }
  }

  async run(signal: AbortSignal): Promise<void> {
    const stopInternal = () => this.#stop.abort()
    signal.addEventListener('abort', stopInternal, { once: true })
    try {
      await this.#connectHandlers(signal)
      let attempt = 0
      while (!signal.aborted) {
        // A handler that stopped for good between sessions (while this relay waits as a standby).
        if (this.#lostFatal) throw this.#lost
        try {
          const progressed = await this.#replicate(signal)
          attempt = progressed ? 0 : attempt + 1
        } catch (error) {
          if (signal.aborted || error instanceof Aborted) break
          if (error instanceof HandingError) throw error.cause
          if (error instanceof SlotRecreateRefusedError) throw error
          this.#hooks.sessionFailed?.(error, this.#step)
          this.#logger.warn({ err: error, step: this.#step }, 'replication interrupted; reconnecting')
          this.#setRole('reconnecting')
          await pause(backoffDelay(attempt++, this.#reconnectBackoff), signal)
        }
      }
      await this.#shutdown()
    } catch (error) {
      if (error instanceof Aborted && signal.aborted) {
        // Stopped before anything was connected: nothing to drain or confirm.
        await Promise.all(this.#handlers.map((handler) => handler.close?.().catch(() => undefined)))
        this.#setRole('stopped')
        return
      }
      this.#setRole('failed')
      this.#logger.error({ err: error }, 'relay halted')
      await this.#closeSession()
      await Promise.all(this.#handlers.map((handler) => handler.close?.().catch(() => undefined)))
      throw error
    } finally {
      signal.removeEventListener('abort', stopInternal)
    }
  }

  #setRole(role: RelayRole): void {
    if (this.#role === role) return
    this.#role = role
    this.#hooks.roleChanged?.(role)
  }

  #inFlight(): number {
    let facts = 0
    for (const handler of this.#handlers) facts += handler.inFlight
    return facts
  }

  #allIdle(): boolean {
    let idle = true
    this.#handlers.forEach((handler, index) => {
      if (handler.inFlight === 0) this.#position.idle(index)
      else idle = false
    })
    return idle
  }

  /** The one place that acknowledges: whatever the position says may be confirmed. */
  #confirm(): void {
    const lsn = this.#position.confirmed
    if (lsn <= this.#lastConfirmed) return
    this.#lastConfirmed = lsn
    this.#session?.stream?.acknowledge(lsn)
    this.#hooks.confirmed?.(lsn)
  }

  async #connectHandlers(signal: AbortSignal): Promise<void> {
    for (const handler of this.#handlers) {
      if (!handler.connect) continue
      for (let attempt = 0; ; attempt++) {
        try {
          await abortable(handler.connect(), signal)
          break
        } catch (error) {
          if (error instanceof Aborted) throw error
          this.#logger.warn({ err: error }, 'cannot connect a handler yet; retrying')
          await pause(backoffDelay(attempt, this.#reconnectBackoff), signal)
          if (signal.aborted) throw new Aborted()
        }
      }
    }
  }

  /** One replication session. Returns whether it got as far as streaming (or waiting as standby). */
  async #replicate(signal: AbortSignal): Promise<boolean> {
    const source = this.#source
    this.#step = 'connect'
    const connection = await ReplicationConnection.connect({
      connectionString: source.connectionString,
      applicationName: source.applicationName,
      logger: this.#logger,
    })
    this.#postgresConnected = true
    this.#session = { connection }
    try {
      if (source.createSlot) {
        this.#step = 'slot_setup'
        await ensurePublicationAndSlot(
          connection,
          { publication: source.publication, slot: source.slot },
          this.#logger,
          {
            failover: source.failoverSlot,
            ...(source.missingSlotGuard ? { guard: source.missingSlotGuard } : {}),
            confirmedBefore: this.#lastConfirmed,
          },
        )
      }
      // The checkpoint of a checkpointed handler must lie in this server's past (checked on resume).
      const walEnd = this.#checkpointed ? (await connection.identifySystem()).xlogPos : undefined
      this.#step = 'start_replication'
      let stream: ReplicationStream
      try {
        stream = await connection.startReplication({
          slot: source.slot,
          publicationNames: [source.publication],
          protoVersion: 1,
          messages: true,
          statusIntervalMs: source.statusIntervalMs,
          confirmIntervalMs: source.confirmIntervalMs,
          silenceTimeoutMs: source.silenceTimeoutMs,
          maxMessageBytes: source.maxMessageBytes,
        })
      } catch (error) {
        if (error instanceof PostgresError && error.code === slotInUse) {
          if (this.#role !== 'standby') {
            this.#logger.info({ slot: source.slot }, 'slot is held by another relay; waiting as standby')
          }
          this.#setRole('standby')
          await pause(this.options.standbyRetryMs ?? 2_000, signal)
          return true
        }
        throw error
      }
      this.#session.stream = stream
      this.#step = 'stream'
      this.#assembler.resetConnection()
      this.#position.connectionLost()
      this.#partsHandedTo.clear()
      const session = new AbortController()
      if (!this.#lostFatal) this.#lost = undefined
      this.#endSession = (error) => {
        this.#lost ??= error
        session.abort()
      }
      if (this.#checkpointed) await this.#resumeHandler(signal, walEnd!)
      if (this.#lastConfirmed > 0n) stream.acknowledge(this.#lastConfirmed)
      this.#setRole('active')
      this.#logger.info({ slot: source.slot, publication: source.publication }, 'streaming facts')
      try {
        await this.#pump(stream, AbortSignal.any([signal, session.signal]))
      } catch (error) {
        if (this.#lost && !signal.aborted) throw this.#lostError()
        throw error
      } finally {
        this.#endSession = undefined
      }
      if (this.#lost && !signal.aborted) throw this.#lostError()
      return true
    } finally {
      this.#postgresConnected = false
      if (!signal.aborted) await this.#closeSession()
    }
  }

  /** A handler that stopped for good stops the relay; one that lost a transaction gets a new session. */
  #lostError(): Error {
    return this.#lostFatal ? new HandingError(this.#lost) : this.#lost!
  }

  /** A checkpointed handler drops what it did not checkpoint and says where to resume. */
  async #resumeHandler(signal: AbortSignal, walEnd: bigint): Promise<void> {
    let checkpoint: HandlerCheckpoint
    try {
      checkpoint = asHandlerCheckpoint(await abortable(this.#handlers[0]!.resume!(), signal))
    } catch (error) {
      if (error instanceof Aborted) throw error
      throw new HandingError(error)
    }
    const { endLsn, inside } = checkpoint
    // A transaction the checkpoint lies inside has committed too, so its commit is in the past.
    const latest = inside && inside.commitLsn > endLsn ? inside.commitLsn : endLsn
    if (latest > walEnd) {
      // Another database system (restored, rebuilt) behind the same slot name: resuming after the
      // checkpoint would skip every fact up to it as delivered.
      throw new HandingError(new CheckpointAheadError(latest, walEnd, this.#source.slot))
    }
    try {
      this.#position.resume(checkpoint)
    } catch (error) {
      throw new HandingError(error)
    }
    this.#logger.info(
      {
        checkpoint: formatLsn(endLsn),
        ...(inside
          ? { insideCommit: formatLsn(inside.commitLsn), insideFact: formatLsn(inside.factLsn) }
          : {}),
      },
      'resuming after the handler checkpoint',
    )
    this.#confirm()
  }

  async #closeSession(): Promise<void> {
    const session = this.#session
    this.#session = undefined
    await session?.stream?.close().catch(() => undefined)
    await session?.connection.close().catch(() => undefined)
  }

  async #pump(stream: ReplicationStream, signal: AbortSignal): Promise<void> {
    const events = stream[Symbol.asyncIterator]()
    const interrupter = new Interrupter(signal)
    while (!signal.aborted) {
      // Events already received are handled without a promise each; only waiting for the
      // server or for a handler goes through the event loop.
      let event = stream.read()
      if (event === undefined) {
        const next = await interrupter.wrap(events.next())
        if (next.done) throw new Error('replication stream ended')
        event = next.value
      }
      const handing = this.#handle(event)
      if (handing) await interrupter.wrap(handing)
    }
  }

  /** Returns a promise when something went to a handler, else nothing to wait for. */
  #handle(event: ReplicationEvent): Promise<void> | undefined {
    if (event.tag === 'keepalive') {
      if (this.#checkpointed) {
        // Confirmed only once the handler has checkpointed it, so hand it over like a transaction.
        if (!this.#position.idleAdvance(event.walEnd)) return undefined
        return this.#send(0, { endLsn: event.walEnd, complete: true, facts: [] })
      }
      this.#position.keepalive(event.walEnd, this.#allIdle())
      this.#confirm()
      return undefined
    }
    const output = this.#assembler.accept(event.message)
    if (!output) return undefined
    return this.#handOver(output)
  }

  async #handOver(output: AssemblerOutput): Promise<void> {
    if (output.tag === 'part') {
      for (const [index, part] of this.#split(output.transaction)) {
        await this.#send(index, part)
        if (this.#position.inTransaction) this.#partsHandedTo.add(index)
      }
      return
    }
    const parts = output.transaction ? this.#split(output.transaction) : new Map<number, FactTransaction>()
    // A handler that got part of this transaction gets its end too, so its report covers the parts.
    for (const index of this.#partsHandedTo) {
      if (!parts.has(index)) parts.set(index, { endLsn: output.endLsn, complete: true, facts: [] })
    }
    this.#partsHandedTo.clear()
    if (this.#checkpointed && parts.size === 0 && !output.replay) {
      // A commit without facts still moves the checkpoint, so an idle prefix does not pin WAL.
      parts.set(0, { endLsn: output.endLsn, complete: true, facts: [] })
    }
    for (const [index, part] of parts) await this.#send(index, part)
    this.#position.commit(output.commitLsn, output.endLsn, parts.size > 0, this.#allIdle())
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

  async #send(index: number, transaction: FactTransaction): Promise<void> {
    this.#hooks.handing?.(transaction)
    this.#position.handed(index, transaction.endLsn, transaction.complete)
    try {
      await this.#handlers[index]!.send(transaction)
    } catch (error) {
      // A refusal because the handler lost its uncommitted facts ends the session, not the relay.
      if (error instanceof Aborted || this.#lost) throw new Aborted()
      this.#hooks.handingFailed?.(transaction, error)
      throw new HandingError(error)
    }
    if (this.#handlers[index]!.inFlight === 0) {
      this.#position.idle(index)
      this.#confirm()
    }
  }

  async #shutdown(): Promise<void> {
    this.#setRole('stopping')
    this.#logger.info({ inFlight: this.#inFlight() }, 'stopping: draining facts in flight')
    const timeoutMs = this.options.shutdownTimeoutMs ?? 15_000
    const drained = await Promise.all(
      this.#handlers.map((handler) => handler.drain?.(timeoutMs) ?? Promise.resolve(handler.inFlight === 0)),
    )
    if (drained.includes(false)) {
      this.#logger.warn({ inFlight: this.#inFlight() }, 'drain timed out; undelivered facts will be replayed')
    }
    this.#allIdle()
    this.#confirm()
    await this.#closeSession()
    await Promise.all(this.#handlers.map((handler) => handler.close?.()))
    this.#setRole('stopped')
    this.#logger.info({ confirmedLsn: formatLsn(this.#position.confirmed) }, 'stopped')
  }
}

/**
 * A checkpointed handler's checkpoint lies beyond the server's WAL end: the slot's name now
 * belongs to another database system, and resuming would skip facts as if delivered.
 */
export class CheckpointAheadError extends Error {
  override readonly name = 'CheckpointAheadError'
  constructor(
    readonly checkpoint: bigint,
    readonly walEnd: bigint,
    readonly slot: string,
  ) {
    super(
      `the handler's checkpoint for slot '${slot}' is ${formatLsn(checkpoint)}, beyond this server's WAL end ` +
        `${formatLsn(walEnd)}: this is another database system (restored or rebuilt), and resuming would skip ` +
        'every fact up to the checkpoint; remove the checkpoint (for the exactly-once Kafka sink: its record ' +
        'in the checkpoint topic, or use a new checkpoint topic) to start over',
    )
  }
}

/** A handler's refusal, told apart from replication errors: it stops the relay instead of reconnecting. */
class HandingError extends Error {
  override readonly name = 'HandingError'
  constructor(override readonly cause: unknown) {
    super('a handler refused a transaction', { cause })
  }
}
