import { type BackoffSettings, backoffDelay, defaultBackoff, formatLsn, pause } from '@factlib/wal'
import {
  checkpointRecord,
  exactlyOnceSettings,
  formatCheckpoint,
  readCheckpoint,
} from './checkpoint-record.js'
import {
  ProducerFencedError,
  SinkClosedError,
  SinkHaltedError,
  SinkNotConnectedError,
  TransactionAbortedError,
  TransactionTimedOutError,
} from './errors.js'
import type { FactRouter } from './fact-router.js'
import type { InFlightLimit } from './in-flight-limit.js'
import { type Logger, silentLogger } from './logger.js'
import { OpenKafkaTransaction } from './open-kafka-transaction.js'
import {
  type OutgoingRecord,
  ProduceFailure,
  type ProducerClientSettings,
  type TransactionalProducerClient,
} from './producer-client.js'
import { type RecordFit, recordSizing } from './record-fit.js'
import { recordWireSize } from './record-size.js'
import type { RequestBound } from './request-bound.js'
import {
  checkCompression,
  checkSinkOptions,
  clientSettings,
  connectClient,
  DrainWaiters,
  newInFlightLimit,
} from './sink-connection.js'
import { SinkReporter } from './sink-reporter.js'
import type {
  ExactlyOnceOptions,
  ExactlyOnceSink,
  KafkaSinkOptions,
  SinkCheckpoint,
  SinkEvent,
  SinkFact,
  SinkTransaction,
} from './sink-types.js'
import { TopicCatalogue } from './topic-catalogue.js'
import { transactionFailure } from './transaction-failure.js'
import { type QueuedFact, type StepRules, TransactionQueue } from './transaction-queue.js'

const closeGraceMs = 2_000

/**
 * Thrown inside the delivery loop when it must stop (lost, fenced, halted, closed); never escapes.
 */
class LoopStopped extends Error {}

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
 * PostgreSQL resends everything after the checkpoint. Nothing is retried inside a transaction
 * beyond kafkajs's own retries, because a request that failed half-way may have written some
 * partitions: resending it in the same transaction would commit duplicates.
 */
export class TransactionalSink implements ExactlyOnceSink {
  readonly kind = 'checkpointed'
  readonly #options: KafkaSinkOptions
  readonly #eos: Required<ExactlyOnceOptions>
  readonly #createClient: (settings: ProducerClientSettings) => TransactionalProducerClient
  readonly #backoff: BackoffSettings
  readonly #logger: Logger
  readonly #reporter: SinkReporter
  readonly #halt: boolean
  readonly #router: FactRouter
  readonly #topics: TopicCatalogue
  readonly #fit: RecordFit
  readonly #bound: RequestBound
  readonly #lostListeners = new Set<(error: Error, fatal: boolean) => void>()
  /** Called with true once nothing is uncommitted, with false when what was uncommitted is lost. */
  readonly #drainWaiters = new DrainWaiters()
  /** Facts to produce alone after a request was refused, and facts the broker refused for good. */
  readonly #suspects = new Set<bigint>()
  readonly #refused = new Map<bigint, string>()
  #client: TransactionalProducerClient | undefined
  #state: 'new' | 'connecting' | 'standby' | 'active' | 'lost' | 'halted' | 'closed' = 'new'
  #haltError: Error | undefined
  #checkpointTopicReady = false
  #limit: InFlightLimit
  #committed: SinkCheckpoint = { endLsn: 0n }
  #lastOffered = 0n
  readonly #queue = new TransactionQueue()
  /** Facts accepted and not yet committed. */
  #uncommitted = 0
  #open: OpenKafkaTransaction | undefined
  #flushRequested = false
  #wake: (() => void) | undefined
  #loop: Promise<void> | undefined
  #stopLoop = new AbortController()

  constructor(
    options: KafkaSinkOptions,
    createClient: (settings: ProducerClientSettings) => TransactionalProducerClient,
    backoff: BackoffSettings = defaultBackoff,
  ) {
    this.#eos = exactlyOnceSettings(options.exactlyOnce)
    checkSinkOptions(options)
    this.#options = options
    this.#createClient = createClient
    this.#backoff = backoff
    this.#logger = options.logger ?? silentLogger
    this.#reporter = new SinkReporter(this.#logger, options.hooks)
    this.#halt = options.onPermanentError === 'halt'
    this.#topics = new TopicCatalogue(options.createTopics, this.#logger)
    const sizing = recordSizing(options, this.#topics, this.#logger)
    this.#router = sizing.router
    this.#fit = sizing.fit
    this.#bound = sizing.bound
    this.#limit = newInFlightLimit(this.#options)
  }

  get deliveredLsn(): bigint {
    return this.#committed.endLsn
  }

  get inFlight(): number {
    return this.#uncommitted
  }

  get healthy(): boolean {
    return this.#reporter.healthy
  }

  /** Connects to the cluster without touching the transactional id: a standby must not fence. */
  async connect(): Promise<void> {
    if (this.#state === 'closed') throw new SinkClosedError('connect')
    if (this.#state !== 'new') return
    checkCompression(this.#options)
    this.#state = 'connecting'
    const client = this.#createClient(
      clientSettings(this.#options, this.#logger, {
        id: this.#eos.transactionalId,
        timeoutMs: this.#eos.transactionTimeoutMs,
      }),
    )
    try {
      await connectClient(client, this.#options.brokers)
    } catch (error) {
      this.#state = 'new'
      throw error
    }
    if (this.#state !== 'connecting') {
      await client.disconnect().catch(() => {})
      throw new SinkClosedError('connect')
    }
    this.#client = client
    this.#state = 'standby'
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
        // Every session starts over: a new producer (InitProducerId fences any other holder of the
        // transactional id and aborts its open transaction), then the checkpoint read back, since
        // another relay may have committed after ours while it held the slot.
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
        this.#logger.info(
          { transactionalId: this.#eos.transactionalId, checkpoint: formatCheckpoint(this.#committed) },
          'exactly-once: transactional id registered, resuming after the checkpoint',
        )
        break
      } catch (error) {
        if (error instanceof SinkHaltedError) {
          this.#stopWith(error)
          throw error
        }
        const failure = asFailure(error)
        if (failure.kind === 'fenced') {
          this.#fence(failure)
          throw this.#haltError
        }
        const delay = backoffDelay(attempt, this.#backoff)
        this.#reporter.setHealth(false, failure)
        this.#logger.warn({ error: failure.message, retryInMs: delay }, 'exactly-once: cannot resume yet')
        await pause(delay, this.#stopLoop.signal)
      }
    }
    this.#assertNotStopped()
    this.#state = 'active'
    this.#lastOffered = this.#committed.endLsn
    this.#stopLoop = new AbortController()
    this.#loop = this.#deliverLoop(client).catch((error: unknown) => {
      if (error instanceof LoopStopped) return
      // A bug, not a Kafka failure: stop visibly.
      this.#stopWith(
        new SinkHaltedError(
          `internal error in the delivery loop: ${String(error)}`,
          this.#committed.endLsn,
          undefined,
        ),
      )
    })
    this.#reporter.setHealth(true)
    return this.#committed
  }

  onLost(listener: (error: Error, fatal: boolean) => void): () => void {
    this.#lostListeners.add(listener)
    return () => this.#lostListeners.delete(listener)
  }

  onDelivered(listener: (lsn: bigint) => void): () => void {
    return this.#reporter.onDelivered(listener)
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
    this.#assertActive()
    if (tx.endLsn < this.#lastOffered) {
      throw new RangeError(
        `transaction ending at ${formatLsn(tx.endLsn)} offered after one ending at ` +
          `${formatLsn(this.#lastOffered)}: send() takes transactions in WAL order, replays skipped`,
      )
    }
    this.#lastOffered = tx.endLsn
    let bytes = 0
    for (const fact of tx.facts) bytes += fact.value.byteLength
    const limit = this.#limit
    if (tx.facts.length > 0) await limit.acquire(tx.facts.length, bytes)
    if (this.#state !== 'active' || limit !== this.#limit) {
      // Lost meanwhile: what it took is gone and will be resent after resume().
      this.#assertActive()
    }
    const acceptedAt = performance.now()
    for (const fact of tx.facts) this.#queue.pushFact(this.#route(fact, tx, acceptedAt))
    this.#uncommitted += tx.facts.length
    if (tx.complete !== false) this.#queue.pushEnd(tx.endLsn)
    this.#wake?.()
  }

  drain(timeoutMs: number): Promise<boolean> {
    if (this.#uncommitted === 0 && !this.#open && this.#queue.empty) return Promise.resolve(true)
    this.#flushRequested = true
    this.#wake?.()
    return this.#drainWaiters.wait(timeoutMs)
  }

  async close(): Promise<void> {
    if (this.#state === 'closed') return
    this.#state = 'closed'
    this.#reporter.closed()
    this.#limit.refuseAll(new SinkClosedError('send'))
    this.#stopLoop.abort()
    this.#wake?.()
    let timer: ReturnType<typeof setTimeout> | undefined
    await Promise.race([this.#loop, new Promise((resolve) => (timer = setTimeout(resolve, closeGraceMs)))])
    clearTimeout(timer)
    if (this.#client) await this.#abortQuietly(this.#client)
    await this.#client?.disconnect()
    this.#logger.info(
      { checkpoint: formatCheckpoint(this.#committed), uncommitted: this.#uncommitted },
      'Kafka sink closed',
    )
  }

  #route(fact: SinkFact, tx: SinkTransaction, acceptedAt: number): QueuedFact {
    let route = this.#router.route(fact)
    const refusal = this.#refused.get(fact.lsn)
    if (refusal !== undefined && route.tag === 'topic') {
      route = this.#router.deadLetter(fact, refusal, route.record.topic, route.header)
    }
    this.#topics.meet(route.record.topic)
    const accepted = this.#reporter.hooks.accepted
    if (accepted) this.#reporter.call('accepted', () => accepted(fact, route.header))
    const client = this.#client!
    return {
      fact,
      tx,
      // As in the at-least-once sink: only records for their own topic wait prepared. A refusal
      // aborts the transaction and the fact is routed afresh when PostgreSQL resends it.
      record: route.tag === 'topic' && client.prepare ? client.prepare(route.record) : route.record,
      wireSize: recordWireSize(route.record),
      acceptedAt,
      deadLetter: route.tag === 'dead-letter' ? route : undefined,
      alone: this.#suspects.has(fact.lsn),
    }
  }

  /** Produces what is queued inside Kafka transactions and commits them, until stopped. */
  async #deliverLoop(client: TransactionalProducerClient): Promise<void> {
    while (this.#state === 'active') {
      const open = this.#open
      const now = performance.now()
      const point = open?.commitPoint(now, this.#flushRequested, this.#committed.endLsn)
      if (point) {
        await this.#commit(client, open!, point)
        continue
      }
      if (!this.#queue.empty) {
        // Outside any transaction's requests: admin requests that never throw. The limits they
        // learn let the step dead-letter a record the broker would refuse, inside this transaction,
        // rather than have the refusal abort it.
        await this.#bound.learn(client)
        await this.#topics.learnLimits(client)
        if (this.#state !== 'active') break
      }
      const step = this.#queue.takeStep(this.#stepRules(open?.commitDue(now, this.#flushRequested) ?? false))
      if (step.haltOn) this.#haltAt(step.haltOn)
      if (step.facts.length === 0 && step.end === undefined) {
        await this.#waitForWork()
        continue
      }
      // Open before the await: drain() must not see the items just taken as nothing to commit.
      if (!open) this.#open = new OpenKafkaTransaction(performance.now(), this.#eos)
      const tx = this.#open!
      if (!open) await this.#attempt(client, 'begin', () => client.beginTransaction())
      // A step that closes a due transaction carries its checkpoint in the same request.
      const closing = step.closes ? checkpointRecord(this.#eos, { endLsn: step.end! }) : undefined
      if (step.facts.length > 0) await this.#produce(client, step.facts, closing)
      tx.produced(step, closing !== undefined)
    }
    throw new LoopStopped()
  }

  #stepRules(stopAtEnd: boolean): StepRules {
    return {
      stopAtEnd,
      halt: this.#halt,
      requestBytes: this.#bound.recordBytes,
      limitOf: (topic) => this.#topics.limitOf(topic),
      inspect: (queued) => this.#fit.fit(queued),
    }
  }

  async #waitForWork(): Promise<void> {
    // A commit or a split waits for its time; a transaction waiting for the rest of a PostgreSQL
    // transaction that says nothing of itself waits for send().
    const due = this.#open?.nextCommitAt(this.#committed.endLsn)
    const wait = due === undefined ? undefined : Math.max(1, due - performance.now())
    await new Promise<void>((resolve) => {
      const timer = wait === undefined ? undefined : setTimeout(resolve, wait)
      this.#wake = () => {
        clearTimeout(timer)
        resolve()
      }
    })
    this.#wake = undefined
  }

  async #produce(
    client: TransactionalProducerClient,
    facts: QueuedFact[],
    checkpoint: OutgoingRecord | undefined,
  ): Promise<void> {
    await this.#ensureTopics(client, facts)
    const records = facts.map((queued) => queued.record)
    if (checkpoint) records.push(checkpoint)
    try {
      await client.produce(records)
    } catch (error) {
      const failure = asFailure(error)
      this.#reporter.deliveryFailed(facts, failure)
      if (failure.kind === 'record-rejected') this.#noteRefusal(facts, failure)
      return this.#fail(client, failure)
    }
    let bytes = 0
    for (const queued of facts) {
      bytes += queued.fact.value.byteLength
      this.#suspects.delete(queued.fact.lsn)
    }
    this.#reporter.sent(facts, performance.now(), ' (visible once its transaction commits)')
    // Memory is bounded by what is not yet produced; a fact produced waits for its commit in Kafka.
    this.#limit.release(facts.length, bytes)
  }

  async #commit(
    client: TransactionalProducerClient,
    open: OpenKafkaTransaction,
    checkpoint: SinkCheckpoint,
  ): Promise<void> {
    if (checkpoint.inside || open.checkpointWritten !== checkpoint.endLsn) {
      const record = checkpointRecord(this.#eos, checkpoint)
      await this.#attempt(client, 'checkpoint', () => client.produce([record]))
    }
    await this.#attempt(client, 'commit', () => client.commitTransaction())
    const seconds = (performance.now() - open.openedAt) / 1000
    const facts = open.facts
    this.#open = undefined
    this.#uncommitted -= facts
    this.#committed = checkpoint
    if (this.#queue.empty) this.#flushRequested = false
    this.#reporter.setHealth(true)
    const end = checkpoint.endLsn
    const hook = this.#reporter.hooks.transactionCommitted
    if (hook) this.#reporter.call('transactionCommitted', () => hook(end, facts, seconds))
    // Only the whole transactions' end: a split never confirms into the transaction it splits.
    this.#reporter.delivered(end)
    if (this.#uncommitted === 0 && this.#queue.empty) {
      this.#drainWaiters.settle(true)
    }
  }

  /** Runs one transaction operation; any failure ends the transaction (see the class comment). */
  async #attempt(
    client: TransactionalProducerClient,
    what: string,
    operation: () => Promise<void>,
  ): Promise<void> {
    try {
      await operation()
    } catch (error) {
      const failure = asFailure(error)
      this.#logger.warn(
        { error: failure.message, code: failure.code, during: what },
        'exactly-once: transaction failed',
      )
      return this.#fail(client, failure)
    }
  }

  /** Fenced: stop for good. Anything else (a timeout too): abort the transaction and have the relay resend. */
  async #fail(client: TransactionalProducerClient, failure: ProduceFailure): Promise<never> {
    if (this.#state !== 'active') throw new LoopStopped()
    const openMs = this.#open ? performance.now() - this.#open.openedAt : 0
    const outcome = transactionFailure(failure, openMs, this.#eos, this.#committed.endLsn)
    if (outcome.tag === 'fenced') {
      this.#fence(failure)
      throw new LoopStopped()
    }
    if (outcome.resetProducer) await client.resetProducer()
    const lost = outcome.error
    if (lost instanceof TransactionTimedOutError) {
      this.#logger.warn({ error: lost.message }, 'exactly-once: the Kafka transaction timed out, not fenced')
    }
    this.#state = 'lost'
    // The relay hears of it before any send() is refused for it (in this same tick).
    for (const listener of this.#lostListeners) listener(lost, false)
    this.#forgetUncommitted(lost)
    this.#reporter.setHealth(false, lost)
    const hook = this.#reporter.hooks.transactionAborted
    if (hook) this.#reporter.call('transactionAborted', () => hook(lost))
    if (outcome.abort) await this.#abortQuietly(client)
    throw new LoopStopped()
  }

  /** A refused request: its facts go alone next time; a fact refused alone is dead-lettered next time. */
  #noteRefusal(facts: QueuedFact[], failure: ProduceFailure): void {
    if (facts.length > 1) {
      for (const queued of facts) this.#suspects.add(queued.fact.lsn)
      return
    }
    const queued = facts[0]!
    this.#suspects.delete(queued.fact.lsn)
    if (queued.deadLetter || this.#halt) {
      const reason = queued.deadLetter
        ? `even the dead-letter topic '${queued.record.topic}' refused it: ${failure.message}`
        : `Kafka refused the record: ${failure.message}`
      this.#stopWith(
        new SinkHaltedError(reason, queued.fact.lsn, queued.deadLetter?.originalTopic ?? queued.record.topic),
      )
      return
    }
    this.#refused.set(queued.fact.lsn, `Kafka refused the record: ${failure.message}`)
  }

  async #ensureTopics(client: TransactionalProducerClient, facts: QueuedFact[]): Promise<void> {
    if (!this.#options.createTopics) return
    const topics = facts.map((queued) => queued.record.topic)
    await this.#attempt(client, 'create topics', () => this.#topics.ensureCreated(client, topics))
  }

  async #stopDelivering(): Promise<void> {
    if (this.#state === 'active') this.#state = 'lost'
    this.#stopLoop.abort()
    this.#wake?.()
    await this.#loop
    this.#loop = undefined
    this.#forgetUncommitted(
      new TransactionAbortedError(this.#committed.endLsn, 'a new replication session resumes'),
    )
  }

  /** Drops everything accepted and not committed: it will be resent after the checkpoint. */
  #forgetUncommitted(error: Error): void {
    this.#drainWaiters.settle(false)
    this.#limit.refuseAll(error)
    this.#limit = newInFlightLimit(this.#options)
    this.#queue.clear()
    this.#uncommitted = 0
    this.#open = undefined
    this.#flushRequested = false
  }

  async #abortQuietly(client: TransactionalProducerClient): Promise<void> {
    try {
      await client.abortTransaction()
    } catch (error) {
      const failure = asFailure(error)
      if (failure.kind === 'fenced') return this.#fence(failure)
      // The transaction is in an unknown state: a new producer's InitProducerId aborts it for us.
      await client.resetProducer()
    }
  }

  #fence(failure: ProduceFailure): void {
    const error = new ProducerFencedError(this.#eos.transactionalId, failure.message)
    this.#stopWith(error)
  }

  #haltAt(item: QueuedFact): never {
    this.#stopWith(
      new SinkHaltedError(item.deadLetter!.reason, item.fact.lsn, item.deadLetter!.originalTopic),
    )
    throw new LoopStopped()
  }

  #stopWith(error: Error): void {
    if (this.#state === 'halted' || this.#state === 'closed') return
    const wasActive = this.#state === 'active'
    this.#state = 'halted'
    this.#haltError = error
    this.#limit.refuseAll(error)
    this.#logger.error({ error: error.message }, 'Kafka sink halted')
    this.#reporter.stopped(error)
    // The relay may be waiting on PostgreSQL, not on a send: tell it now.
    if (wasActive) for (const listener of this.#lostListeners) listener(error, true)
  }

  #assertActive(): void {
    if (this.#state === 'active') return
    this.#assertNotStopped()
    if (this.#state === 'lost')
      throw new TransactionAbortedError(this.#committed.endLsn, 'waiting for resume()')
    throw new SinkNotConnectedError()
  }

  #assertNotStopped(): void {
    if (this.#state === 'halted') throw this.#haltError!
    if (this.#state === 'closed') throw new SinkClosedError('send')
  }
}

function asFailure(error: unknown): ProduceFailure {
  return error instanceof ProduceFailure
    ? error
    : new ProduceFailure('transient', undefined, error instanceof Error ? error.message : String(error))
}
