import { type BackoffSettings, backoffDelay, defaultBackoff, formatLsn, pause } from '@factlib/wal'
import { exactlyOnceSettings, formatCheckpoint, readCheckpoint } from './checkpoint-record.js'
import {
  ProducerFencedError,
  SinkClosedError,
  SinkHaltedError,
  SinkNotConnectedError,
  TransactionAbortedError,
} from './errors.js'
import type {
  ProduceFailure,
  ProducerClientSettings,
  TransactionalProducerClient,
} from './producer-client.js'
import { recordMinimumSize, recordWireSize } from './record-size.js'
import { RefusedRecords } from './refused-records.js'
import {
  clientSettings,
  newInFlightLimit,
  type SinkParts,
  sinkParts,
  startClient,
} from './sink-connection.js'
import type {
  ExactlyOnceOptions,
  ExactlyOnceSink,
  KafkaSinkOptions,
  SinkCheckpoint,
  SinkEvent,
  SinkFact,
  SinkTransaction,
} from './sink-types.js'
import { asProduceFailure } from './transaction-failure.js'
import { TransactionLoop, type TransactionLoopHost } from './transaction-loop.js'
import type { QueuedFact } from './transaction-queue.js'
import {
  isDelivering,
  isStopped,
  nextState,
  type TransactionalSinkEvent,
  type TransactionalSinkState,
} from './transactional-sink-states.js'

const closeGraceMs = 2_000

/**
 * The exactly-once sink. Facts go in Kafka transactions, each holding whole PostgreSQL
 * transactions and, last, a checkpoint record: the end LSN of its last PostgreSQL transaction,
 * keyed by slot in a compacted topic. A fact is delivered when its Kafka transaction commits,
 * so the position reported to the relay is always a committed checkpoint. A PostgreSQL
 * transaction too large for one Kafka transaction is split, with a checkpoint inside it
 * (OpenKafkaTransaction); the position reported stays the last whole transaction's end.
 *
 * Anything that goes wrong inside a transaction aborts it: its facts are lost to the sink, which
 * tells the relay (`onLost`); the relay starts a new replication session, calls `resume()`, and
 * PostgreSQL resends everything after the checkpoint (TransactionLoop produces and commits).
 *
 * Where it is in all this is one state (transactional-sink-states.ts), changed only through that
 * file's table; what a session holds is its TransactionLoop, dropped whole when it is lost.
 */
export class TransactionalSink implements ExactlyOnceSink {
  readonly kind = 'checkpointed'
  readonly #options: KafkaSinkOptions
  readonly #eos: Required<ExactlyOnceOptions>
  readonly #createClient: (settings: ProducerClientSettings) => TransactionalProducerClient
  readonly #backoff: BackoffSettings
  readonly #parts: SinkParts
  readonly #lostListeners = new Set<(error: Error, fatal: boolean) => void>()
  readonly #refusals = new RefusedRecords()
  /** Aborted by close(): ends resume()'s waits between attempts. */
  readonly #closing = new AbortController()
  /** The loop's side of the sink, handed to each TransactionLoop. */
  readonly #host: TransactionLoopHost
  #state: TransactionalSinkState = 'new'
  /** Why the sink stopped for good (states fenced and halted). */
  #stopError: Error | undefined
  #client: TransactionalProducerClient | undefined
  #checkpointTopicReady = false
  #committed: SinkCheckpoint = { endLsn: 0n }
  #lastOffered = 0n
  /** This session's facts; delivering once run() (resume), replaced when they are lost. */
  #loop: TransactionLoop
  /** The loop running, if any: possibly of a session already lost, still aborting. */
  #running: TransactionLoop | undefined

  constructor(
    options: KafkaSinkOptions,
    createClient: (settings: ProducerClientSettings) => TransactionalProducerClient,
    backoff: BackoffSettings = defaultBackoff,
  ) {
    this.#eos = exactlyOnceSettings(options.exactlyOnce)
    this.#parts = sinkParts(options)
    this.#options = options
    this.#createClient = createClient
    this.#backoff = backoff
    this.#host = this.#loopHost()
    this.#loop = this.#newLoop()
  }

  get deliveredLsn(): bigint {
    return this.#committed.endLsn
  }

  get inFlight(): number {
    return this.#loop.uncommitted
  }

  get healthy(): boolean {
    return this.#parts.reporter.healthy
  }

  /** Connects to the cluster without touching the transactional id: a standby must not fence. */
  async connect(): Promise<void> {
    if (this.#state === 'closed') throw new SinkClosedError('connect')
    if (this.#state !== 'new') return
    this.#dispatch('connect')
    const transactional = { id: this.#eos.transactionalId, timeoutMs: this.#eos.transactionTimeoutMs }
    let client: TransactionalProducerClient
    try {
      const settings = clientSettings(this.#options, this.#parts.logger, transactional)
      client = await startClient(this.#options, this.#createClient, settings)
    } catch (error) {
      this.#dispatch('connectFailed')
      throw error
    }
    if (this.#dispatch('connected') === 'closed') {
      await client.disconnect().catch(() => {})
      throw new SinkClosedError('connect')
    }
    this.#client = client
  }

  /**
   * Called by the relay once it holds the slot, at the start of every replication session: stops
   * the delivery loop, drops what is not committed, registers the transactional id afresh (which
   * fences any older holder) and returns the committed checkpoint read back from Kafka. Transient
   * failures are retried here; fencing rejects.
   */
  async resume(): Promise<SinkCheckpoint> {
    const client = this.#client
    if (!client) throw new SinkNotConnectedError()
    await this.#stopDelivering()
    for (let attempt = 0; ; attempt++) {
      this.#assertNotStopped()
      try {
        await this.#register(client)
        break
      } catch (error) {
        if (error instanceof SinkHaltedError) {
          this.#stopWith(error)
          throw error
        }
        const failure = asProduceFailure(error)
        if (failure.kind === 'fenced') {
          this.#fence(failure)
          throw this.#stopError
        }
        const delay = backoffDelay(attempt, this.#backoff)
        this.#parts.reporter.setHealth(false, failure)
        this.#parts.logger.warn(
          { error: failure.message, retryInMs: delay },
          'exactly-once: cannot resume yet',
        )
        await pause(delay, this.#closing.signal)
      }
    }
    this.#assertNotStopped()
    this.#dispatch('resumed')
    this.#lastOffered = this.#committed.endLsn
    this.#running = this.#loop
    void this.#loop.run(client)
    this.#parts.reporter.setHealth(true)
    return this.#committed
  }

  onLost(listener: (error: Error, fatal: boolean) => void): () => void {
    this.#lostListeners.add(listener)
    return () => this.#lostListeners.delete(listener)
  }

  onDelivered(listener: (lsn: bigint) => void): () => void {
    return this.#parts.reporter.onDelivered(listener)
  }

  events(listener: (event: SinkEvent) => void): () => void {
    const offDelivered = this.onDelivered((lsn) => listener({ type: 'delivered', lsn }))
    const offLost = this.onLost((error, fatal) => listener({ type: 'lost', error, fatal }))
    return () => {
      offDelivered()
      offLost()
    }
  }

  async send(tx: SinkTransaction): Promise<void> {
    this.#assertDelivering()
    if (tx.endLsn < this.#lastOffered) {
      throw new RangeError(
        `transaction ending at ${formatLsn(tx.endLsn)} offered after one ending at ` +
          `${formatLsn(this.#lastOffered)}: send() takes transactions in WAL order, replays skipped`,
      )
    }
    this.#lastOffered = tx.endLsn
    let bytes = 0
    for (const fact of tx.facts) bytes += fact.value.byteLength
    const loop = this.#loop
    if (tx.facts.length > 0) await loop.limit.acquire(tx.facts.length, bytes)
    if (!isDelivering(this.#state) || loop !== this.#loop) {
      // Lost meanwhile: what it took is gone and will be resent after resume().
      this.#assertDelivering()
    }
    const acceptedAt = performance.now()
    const queued = tx.facts.map((fact) => this.#route(fact, tx, acceptedAt))
    this.#loop.accept(queued, tx.complete !== false ? tx.endLsn : undefined)
  }

  drain(timeoutMs: number): Promise<boolean> {
    return this.#loop.drain(timeoutMs)
  }

  async close(): Promise<void> {
    if (this.#state === 'closed') return
    this.#dispatch('close')
    this.#parts.reporter.closed()
    this.#loop.limit.refuseAll(new SinkClosedError('send'))
    this.#closing.abort()
    this.#running?.stop()
    let timer: ReturnType<typeof setTimeout> | undefined
    const grace = new Promise((resolve) => (timer = setTimeout(resolve, closeGraceMs)))
    await Promise.race([this.#running?.done, grace])
    clearTimeout(timer)
    if (this.#client) await this.#abortQuietly(this.#client)
    await this.#client?.disconnect()
    this.#parts.logger.info(
      { checkpoint: formatCheckpoint(this.#committed), uncommitted: this.#loop.uncommitted },
      'Kafka sink closed',
    )
  }

  /**
   * Every session starts over: a new producer (InitProducerId fences any other holder of the
   * transactional id and aborts its open transaction), then the checkpoint read back, since
   * another relay may have committed after ours while it held the slot.
   */
  async #register(client: TransactionalProducerClient): Promise<void> {
    await client.resetProducer()
    await client.initTransactions()
    if (!this.#checkpointTopicReady) {
      const replication = this.#options.createTopics
        ? this.#options.createTopics.replicationFactor
        : undefined
      await client.createCompactedTopic(this.#eos.checkpointTopic, replication)
      this.#checkpointTopicReady = true
    }
    this.#committed = await readCheckpoint(client, this.#eos)
    this.#parts.logger.info(
      { transactionalId: this.#eos.transactionalId, checkpoint: formatCheckpoint(this.#committed) },
      'exactly-once: transactional id registered, resuming after the checkpoint',
    )
  }

  #route(fact: SinkFact, tx: SinkTransaction, acceptedAt: number): QueuedFact {
    const { router, topics, reporter } = this.#parts
    let route = router.route(fact)
    const refusal = this.#refusals.refusalOf(fact.lsn)
    if (refusal !== undefined && route.tag === 'topic') {
      route = router.deadLetter(fact, refusal, route.record.topic, route.header)
    }
    topics.meet(route.record.topic)
    const accepted = reporter.hooks.accepted
    if (accepted) reporter.call('accepted', () => accepted(fact, route.header))
    const client = this.#client!
    return {
      fact,
      tx,
      // As in the at-least-once sink: only records for their own topic wait prepared. A refusal
      // aborts the transaction and the fact is routed afresh when PostgreSQL resends it.
      record: route.tag === 'topic' && client.prepare ? client.prepare(route.record) : route.record,
      wireSize: recordWireSize(route.record),
      minimumSize: recordMinimumSize(route.record),
      acceptedAt,
      deadLetter: route.tag === 'dead-letter' ? route : undefined,
      alone: this.#refusals.isSuspect(fact.lsn),
    }
  }

  async #stopDelivering(): Promise<void> {
    this.#dispatch('stop')
    const running = this.#running
    running?.stop()
    await running?.done
    this.#running = undefined
    this.#forget(new TransactionAbortedError(this.#committed.endLsn, 'a new replication session resumes'))
  }

  /** Drops everything accepted and not committed: it will be resent after the checkpoint. */
  #forget(error: Error): void {
    this.#loop.forget(error)
    this.#loop = this.#newLoop()
  }

  #newLoop(): TransactionLoop {
    const limit = newInFlightLimit(this.#options)
    return new TransactionLoop(this.#host, this.#options, limit, this.#parts, this.#eos, this.#refusals)
  }

  #loopHost(): TransactionLoopHost {
    const sink = this
    return {
      get state() {
        return sink.#state
      },
      get committed() {
        return sink.#committed
      },
      dispatch: (event) => {
        this.#dispatch(event)
      },
      commitLanded: (checkpoint, facts, seconds) => this.#commitLanded(checkpoint, facts, seconds),
      lost: (error) => this.#lost(error),
      fence: (failure) => this.#fence(failure),
      stopWith: (error) => this.#stopWith(error),
      abortQuietly: (client) => this.#abortQuietly(client),
    }
  }

  #commitLanded(checkpoint: SinkCheckpoint, facts: number, seconds: number): void {
    const { reporter } = this.#parts
    this.#committed = checkpoint
    reporter.setHealth(true)
    const end = checkpoint.endLsn
    const hook = reporter.hooks.transactionCommitted
    if (hook) reporter.call('transactionCommitted', () => hook(end, facts, seconds))
    // Only the whole transactions' end: a split never confirms into the transaction it splits.
    reporter.delivered(end)
  }

  #lost(error: Error): void {
    const { reporter } = this.#parts
    // The relay hears of it before any send() is refused for it (in this same tick).
    for (const listener of this.#lostListeners) listener(error, false)
    this.#forget(error)
    reporter.setHealth(false, error)
    const hook = reporter.hooks.transactionAborted
    if (hook) reporter.call('transactionAborted', () => hook(error))
  }

  async #abortQuietly(client: TransactionalProducerClient): Promise<void> {
    try {
      await client.abortTransaction()
    } catch (error) {
      const failure = asProduceFailure(error)
      if (failure.kind === 'fenced') return this.#fence(failure)
      // The transaction is in an unknown state: a new producer's InitProducerId aborts it for us.
      await client.resetProducer()
    }
  }

  #fence(failure: ProduceFailure): void {
    this.#stopWith(new ProducerFencedError(this.#eos.transactionalId, failure.message))
  }

  /** Stops for good (fenced or halted); the first reason to stop stands. */
  #stopWith(error: Error): void {
    const before = this.#state
    this.#dispatch(error instanceof ProducerFencedError ? 'fence' : 'halt')
    if (isStopped(before)) return
    this.#stopError = error
    this.#loop.limit.refuseAll(error)
    this.#parts.logger.error({ error: error.message }, 'Kafka sink halted')
    this.#parts.reporter.stopped(error)
    // The relay may be waiting on PostgreSQL, not on a send: tell it now.
    if (isDelivering(before)) for (const listener of this.#lostListeners) listener(error, true)
  }

  /** Moves to the state `event` leads to (IllegalTransitionError when none) and returns it. */
  #dispatch(event: TransactionalSinkEvent): TransactionalSinkState {
    this.#state = nextState(this.#state, event)
    return this.#state
  }

  #assertDelivering(): void {
    if (isDelivering(this.#state)) return
    this.#assertNotStopped()
    if (this.#state === 'lost' || this.#state === 'aborting')
      throw new TransactionAbortedError(this.#committed.endLsn, 'waiting for resume()')
    throw new SinkNotConnectedError()
  }

  #assertNotStopped(): void {
    if (this.#state === 'fenced' || this.#state === 'halted') throw this.#stopError!
    if (this.#state === 'closed') throw new SinkClosedError('send')
  }
}
