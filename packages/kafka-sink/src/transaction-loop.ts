import { checkpointRecord } from './checkpoint-record.js'
import { SinkHaltedError } from './errors.js'
import type { InFlightLimit } from './in-flight-limit.js'
import { OpenKafkaTransaction } from './open-kafka-transaction.js'
import type { OutgoingRecord, ProduceFailure, TransactionalProducerClient } from './producer-client.js'
import type { RefusedRecords } from './refused-records.js'
import { DrainWaiters, type SinkParts } from './sink-connection.js'
import type { ExactlyOnceOptions, KafkaSinkOptions, SinkCheckpoint } from './sink-types.js'
import { asProduceFailure, transactionFailure } from './transaction-failure.js'
import { type QueuedFact, type StepRules, TransactionQueue } from './transaction-queue.js'
import {
  isDelivering,
  type TransactionalSinkEvent,
  type TransactionalSinkState,
} from './transactional-sink-states.js'

/** Thrown inside the delivery loop when it must stop (lost, fenced, halted, closed); never escapes. */
class LoopStopped extends Error {}

/** What the delivery loop needs of the sink it delivers for (TransactionalSink). */
export interface TransactionLoopHost {
  readonly state: TransactionalSinkState
  dispatch(event: TransactionalSinkEvent): void
  /** The last committed checkpoint. */
  readonly committed: SinkCheckpoint
  /** A Kafka transaction committed up to `checkpoint`, holding `facts` facts open `seconds`. */
  commitLanded(checkpoint: SinkCheckpoint, facts: number, seconds: number): void
  /** The transaction is lost: tell the relay, then drop everything uncommitted (this loop). */
  lost(error: Error): void
  fence(failure: ProduceFailure): void
  stopWith(error: Error): void
  /** Aborts the open transaction, if any, and never throws. */
  abortQuietly(client: TransactionalProducerClient): Promise<void>
}

/**
 * One replication session's facts, accepted and not yet committed, and the loop that produces them
 * inside Kafka transactions and commits them, until stopped. The sink starts a new one at every
 * resume() and drops it whole when what it holds is lost.
 *
 * Anything that goes wrong inside a transaction aborts it rather than retrying: a request that
 * failed half-way may have written some partitions, and resending it in the same transaction would
 * commit duplicates. The sink then has the relay resend from the checkpoint.
 */
export class TransactionLoop {
  /** Bounds what send() accepts; released as facts are produced, so memory stays bounded. */
  readonly limit: InFlightLimit
  readonly #host: TransactionLoopHost
  readonly #parts: SinkParts
  readonly #eos: Required<ExactlyOnceOptions>
  readonly #createTopics: boolean
  readonly #refusals: RefusedRecords
  readonly #queue = new TransactionQueue()
  /** Called with true once nothing is uncommitted, with false when what was uncommitted is lost. */
  readonly #drainWaiters = new DrainWaiters()
  /** Facts accepted and not yet committed. */
  #uncommitted = 0
  /** The Kafka transaction open, from just before it begins until it commits (states open, committing). */
  #open: OpenKafkaTransaction | undefined
  #flushRequested = false
  #wake: (() => void) | undefined
  #done: Promise<void> | undefined

  constructor(
    host: TransactionLoopHost,
    options: KafkaSinkOptions,
    limit: InFlightLimit,
    parts: SinkParts,
    eos: Required<ExactlyOnceOptions>,
    refusals: RefusedRecords,
  ) {
    this.#host = host
    this.limit = limit
    this.#parts = parts
    this.#eos = eos
    this.#createTopics = Boolean(options.createTopics)
    this.#refusals = refusals
  }

  /** Settles once the loop has stopped; undefined until run(). */
  get done(): Promise<void> | undefined {
    return this.#done
  }

  get uncommitted(): number {
    return this.#uncommitted
  }

  /** Takes the facts of a transaction (and its end, when it is whole) to produce. */
  accept(facts: readonly QueuedFact[], end: bigint | undefined): void {
    for (const queued of facts) this.#queue.pushFact(queued)
    this.#uncommitted += facts.length
    if (end !== undefined) this.#queue.pushEnd(end)
    this.#wake?.()
  }

  /** Commits what is accepted as soon as it may; true once nothing is uncommitted. */
  drain(timeoutMs: number): Promise<boolean> {
    if (this.#uncommitted === 0 && !this.#open && this.#queue.empty) return Promise.resolve(true)
    this.#flushRequested = true
    this.#wake?.()
    return this.#drainWaiters.wait(timeoutMs)
  }

  /** What it held is lost: drains waiting say so, sends waiting for room are refused. */
  forget(error: Error): void {
    this.#drainWaiters.settle(false)
    this.limit.refuseAll(error)
  }

  run(client: TransactionalProducerClient): Promise<void> {
    this.#done = this.#deliver(client).catch((error: unknown) => {
      if (error instanceof LoopStopped) return
      // A bug, not a Kafka failure: stop visibly.
      const reason = `internal error in the delivery loop: ${String(error)}`
      this.#host.stopWith(new SinkHaltedError(reason, this.#host.committed.endLsn, undefined))
    })
    return this.#done
  }

  /** Wakes the loop to see that the sink no longer delivers; `done` settles once it stopped. */
  stop(): void {
    this.#wake?.()
  }

  /** Produces what is queued inside Kafka transactions and commits them, until stopped. */
  async #deliver(client: TransactionalProducerClient): Promise<void> {
    const { bound, topics } = this.#parts
    while (isDelivering(this.#host.state)) {
      const open = this.#open
      const now = performance.now()
      const point = open?.commitPoint(now, this.#flushRequested, this.#host.committed.endLsn)
      if (point) {
        await this.#commit(client, open!, point)
        continue
      }
      if (!this.#queue.empty) {
        // Outside any transaction's requests: admin requests that never throw. The limits they
        // learn let the step dead-letter a record the broker would refuse, inside this transaction,
        // rather than have the refusal abort it.
        await bound.learn(client)
        await topics.learnLimits(client)
        if (!isDelivering(this.#host.state)) break
      }
      const step = this.#queue.takeStep(this.#stepRules(open?.commitDue(now, this.#flushRequested) ?? false))
      if (step.haltOn) this.#haltAt(step.haltOn)
      if (step.facts.length === 0 && step.end === undefined) {
        await this.#waitForWork()
        continue
      }
      // Open before the await: drain() must not see the items just taken as nothing to commit.
      if (!open) {
        this.#open = new OpenKafkaTransaction(performance.now(), this.#eos)
        this.#host.dispatch('begin')
      }
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
    const { bound, topics, fit, halt } = this.#parts
    return {
      stopAtEnd,
      halt,
      requestBytes: bound.recordBytes,
      limitOf: (topic) => topics.limitOf(topic),
      inspect: (queued) => fit.fit(queued),
    }
  }

  async #waitForWork(): Promise<void> {
    // A commit or a split waits for its time; a transaction waiting for the rest of a PostgreSQL
    // transaction that says nothing of itself waits for send().
    const due = this.#open?.nextCommitAt(this.#host.committed.endLsn)
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
    const { reporter, halt } = this.#parts
    await this.#ensureTopics(client, facts)
    const records = facts.map((queued) => queued.record)
    if (checkpoint) records.push(checkpoint)
    try {
      await client.produce(records)
    } catch (error) {
      const failure = asProduceFailure(error)
      reporter.deliveryFailed(facts, failure)
      if (failure.kind === 'record-rejected') {
        const haltWith = this.#refusals.note(facts, failure, halt)
        if (haltWith) this.#host.stopWith(haltWith)
      }
      return this.#fail(client, failure)
    }
    let bytes = 0
    for (const queued of facts) {
      bytes += queued.fact.value.byteLength
      this.#refusals.produced(queued.fact.lsn)
    }
    reporter.sent(facts, performance.now(), ' (visible once its transaction commits)')
    // Memory is bounded by what is not yet produced; a fact produced waits for its commit in Kafka.
    this.limit.release(facts.length, bytes)
  }

  async #commit(
    client: TransactionalProducerClient,
    open: OpenKafkaTransaction,
    checkpoint: SinkCheckpoint,
  ): Promise<void> {
    this.#host.dispatch('commit')
    if (checkpoint.inside || open.checkpointWritten !== checkpoint.endLsn) {
      const record = checkpointRecord(this.#eos, checkpoint)
      await this.#attempt(client, 'checkpoint', () => client.produce([record]))
    }
    await this.#attempt(client, 'commit', () => client.commitTransaction())
    const seconds = (performance.now() - open.openedAt) / 1000
    const facts = open.facts
    this.#open = undefined
    this.#uncommitted -= facts
    if (this.#queue.empty) this.#flushRequested = false
    this.#host.dispatch('committed')
    this.#host.commitLanded(checkpoint, facts, seconds)
    if (this.#uncommitted === 0 && this.#queue.empty) this.#drainWaiters.settle(true)
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
      const failure = asProduceFailure(error)
      this.#parts.logger.warn(
        { error: failure.message, code: failure.code, during: what },
        'exactly-once: transaction failed',
      )
      return this.#fail(client, failure)
    }
  }

  /** Fenced: stop for good. Anything else (a timeout too): abort the transaction and have the relay resend. */
  async #fail(client: TransactionalProducerClient, failure: ProduceFailure): Promise<never> {
    if (!isDelivering(this.#host.state)) throw new LoopStopped()
    const openMs = this.#open ? performance.now() - this.#open.openedAt : 0
    const outcome = transactionFailure(failure, openMs, this.#eos, this.#host.committed.endLsn)
    if (outcome.tag === 'fenced') {
      this.#host.fence(failure)
      throw new LoopStopped()
    }
    if (outcome.resetProducer) {
      await client.resetProducer()
      // Closed or stopped meanwhile: that already dealt with what was uncommitted.
      if (!isDelivering(this.#host.state)) throw new LoopStopped()
    }
    const lost = outcome.error
    if (outcome.abort) this.#host.dispatch('abort')
    else {
      this.#parts.logger.warn(
        { error: lost.message },
        'exactly-once: the Kafka transaction timed out, not fenced',
      )
      this.#host.dispatch('timedOut')
    }
    this.#host.lost(lost)
    if (outcome.abort) {
      await this.#host.abortQuietly(client)
      this.#host.dispatch('aborted')
    }
    throw new LoopStopped()
  }

  async #ensureTopics(client: TransactionalProducerClient, facts: QueuedFact[]): Promise<void> {
    if (!this.#createTopics) return
    const topics = facts.map((queued) => queued.record.topic)
    await this.#attempt(client, 'create topics', () => this.#parts.topics.ensureCreated(client, topics))
  }

  #haltAt(item: QueuedFact): never {
    this.#host.stopWith(
      new SinkHaltedError(item.deadLetter!.reason, item.fact.lsn, item.deadLetter!.originalTopic),
    )
    throw new LoopStopped()
  }
}
