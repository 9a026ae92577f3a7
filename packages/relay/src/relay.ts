/// <reference types="node" preserve="true" />
import {
  type BackoffSettings,
  backoffDelay,
  defaultMaxMessageBytes,
  formatLsn,
  PostgresError,
  pause,
  ReplicationConnection,
  type ReplicationStream,
} from '@factlib/wal'
import { Aborted, abortable } from './abortable.js'
import { CheckpointedDispatcher } from './checkpointed-dispatcher.js'
import { routeHandlers } from './handler-routing.js'
import { type Logger, silentLogger } from './logger.js'
import { SlotRecreateRefusedError } from './missing-slot.js'
import { PlainDispatcher } from './plain-dispatcher.js'
import type {
  Relay,
  RelayHooks,
  RelayOptions,
  RelayRole,
  RelayStatus,
  SessionStep,
  SourceOptions,
} from './relay-options.js'
import type { SessionEnd } from './session.js'
import { ensurePublicationAndSlot } from './slot-setup.js'

export { CheckpointAheadError } from './checkpointed-dispatcher.js'
export type {
  Relay,
  RelayHooks,
  RelayOptions,
  RelayRole,
  RelayStatus,
  SessionStep,
  SourceOptions,
} from './relay-options.js'

/** SQLSTATE object_in_use: another walsender holds the slot, so this instance is the standby. */
const slotInUse = '55006'

/**
 * A relay: reads the slot, hands each prefix's facts to its handler transaction by transaction,
 * and confirms to PostgreSQL only what every handler has delivered. It reconnects with backoff,
 * waits as a standby while another relay holds the slot, and drains on shutdown. Reading is
 * pull-based: while a handler's `send` pends, nothing more is read.
 */
export function createRelay(options: RelayOptions): Relay {
  return new SlotRelay(options)
}

/**
 * The session loop: connect, set up the slot, start replication (or wait as a standby), let the
 * dispatcher stream until the session ends, and act on why it ended: reconnect with backoff,
 * stop, or halt. Shutdown drains the handlers and confirms. Everything between the stream and the
 * handlers, and every call into the position, is the dispatcher's.
 */
class SlotRelay implements Relay {
  #role: RelayRole = 'starting'
  #postgresConnected = false
  #step: SessionStep = 'connect'
  /** The live session; kept past an abort so shutdown can confirm before closing it. */
  #session: { connection: ReplicationConnection; stream?: ReplicationStream } | undefined
  readonly #source: Required<Omit<SourceOptions, 'applicationName' | 'missingSlotGuard'>> &
    Pick<SourceOptions, 'missingSlotGuard'> & { applicationName: string }
  readonly #dispatcher: PlainDispatcher | CheckpointedDispatcher
  readonly #logger: Logger
  readonly #hooks: RelayHooks
  readonly #stop = new AbortController()
  readonly #reconnectBackoff: BackoffSettings

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
    const routed = routeHandlers(options, this.#stop.signal, this.#logger)
    const settings = { route: routed.route, maxChunkFacts: this.#source.maxChunkFacts, hooks: this.#hooks }
    this.#dispatcher =
      routed.kind === 'plain'
        ? new PlainDispatcher({ ...settings, handlers: routed.handlers })
        : new CheckpointedDispatcher({
            ...settings,
            handler: routed.handler,
            slot: this.#source.slot,
            logger: this.#logger,
          })
  }

  get failed(): boolean {
    return this.#role === 'failed'
  }

  status(): RelayStatus {
    return {
      role: this.#role,
      postgresConnected: this.#postgresConnected,
      confirmedLsn: formatLsn(this.#dispatcher.confirmed),
      inFlight: this.#dispatcher.inFlight,
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
        const stopped = this.#dispatcher.stoppedForGood
        if (stopped) throw stopped
        let end: SessionEnd | undefined
        try {
          end = await this.#replicate(signal)
        } catch (error) {
          // Connecting, setting the slot up or starting replication failed.
          end =
            error instanceof SlotRecreateRefusedError
              ? { reason: 'halted', error }
              : { reason: 'stream-failed', error }
        }
        if (signal.aborted) break
        if (end === undefined || end.reason === 'stopped') {
          // Waited as a standby: the next attempt starts from the shortest backoff.
          attempt = 0
          continue
        }
        if (end.reason === 'halted') throw end.error
        if (end.reason === 'lost' && end.fatal) throw end.error
        this.#hooks.sessionFailed?.(end.error, this.#step)
        this.#logger.warn({ err: end.error, step: this.#step }, 'replication interrupted; reconnecting')
        this.#setRole('reconnecting')
        await pause(backoffDelay(attempt++, this.#reconnectBackoff), signal)
      }
      await this.#shutdown()
    } catch (error) {
      if (error instanceof Aborted && signal.aborted) {
        // Stopped before anything was connected: nothing to drain or confirm.
        await Promise.all(
          this.#dispatcher.handlers.map((handler) => handler.close?.().catch(() => undefined)),
        )
        this.#setRole('stopped')
        return
      }
      this.#setRole('failed')
      this.#logger.error({ err: error }, 'relay halted')
      await this.#closeSession()
      await Promise.all(this.#dispatcher.handlers.map((handler) => handler.close?.().catch(() => undefined)))
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

  async #connectHandlers(signal: AbortSignal): Promise<void> {
    for (const handler of this.#dispatcher.handlers) {
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

  /**
   * One replication session: its end, or none after a wait as a standby. Throws what connecting,
   * setting the slot up or starting replication throws.
   */
  async #replicate(signal: AbortSignal): Promise<SessionEnd | undefined> {
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
            confirmedBefore: this.#dispatcher.lastConfirmed,
          },
        )
      }
      // The checkpoint of a checkpointed handler must lie in this server's past (checked on resume).
      const walEnd =
        this.#dispatcher.kind === 'checkpointed' ? (await connection.identifySystem()).xlogPos : undefined
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
          return undefined
        }
        throw error
      }
      this.#session.stream = stream
      this.#step = 'stream'
      const session = this.#dispatcher.openSession(stream, signal)
      if (this.#dispatcher.kind === 'checkpointed') await this.#dispatcher.resume(session, walEnd!, signal)
      if (!session.ended) {
        this.#setRole('active')
        this.#logger.info({ slot: source.slot, publication: source.publication }, 'streaming facts')
      }
      return await this.#dispatcher.stream(session)
    } finally {
      this.#postgresConnected = false
      if (!signal.aborted) await this.#closeSession()
    }
  }

  async #closeSession(): Promise<void> {
    const session = this.#session
    this.#session = undefined
    this.#dispatcher.detach()
    await session?.stream?.close().catch(() => undefined)
    await session?.connection.close().catch(() => undefined)
  }

  async #shutdown(): Promise<void> {
    this.#setRole('stopping')
    const handlers = this.#dispatcher.handlers
    this.#logger.info({ inFlight: this.#dispatcher.inFlight }, 'stopping: draining facts in flight')
    const timeoutMs = this.options.shutdownTimeoutMs ?? 15_000
    const drained = await Promise.all(
      handlers.map((handler) => handler.drain?.(timeoutMs) ?? Promise.resolve(handler.inFlight === 0)),
    )
    if (drained.includes(false)) {
      this.#logger.warn(
        { inFlight: this.#dispatcher.inFlight },
        'drain timed out; undelivered facts will be replayed',
      )
    }
    this.#dispatcher.settle()
    await this.#closeSession()
    await Promise.all(handlers.map((handler) => handler.close?.()))
    this.#setRole('stopped')
    this.#logger.info({ confirmedLsn: formatLsn(this.#dispatcher.confirmed) }, 'stopped')
  }
}
