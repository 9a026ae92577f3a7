import { type BackoffSettings, backoffDelay, formatLsn, pause } from '@factlib/wal'
import { BatchQueue } from './batch-queue.js'
import { DeliveryTracker, type TransactionTicket } from './delivery-tracker.js'
import {
  KafkaDeliveryError,
  SinkClosedError,
  SinkHaltedError,
  SinkNotConnectedError,
  TopicMissingError,
} from './errors.js'
import type { DeadLetter } from './fact-router.js'
import type { InFlightLimit } from './in-flight-limit.js'
import {
  type OutgoingRecord,
  ProduceFailure,
  type ProducerClient,
  type ProducerClientSettings,
} from './producer-client.js'
import { recordMinimumSize, recordWireSize } from './record-size.js'
import {
  clientSettings,
  DrainWaiters,
  newInFlightLimit,
  type SinkParts,
  sinkParts,
  startClient,
} from './sink-connection.js'
import type {
  AtLeastOnceSink,
  KafkaSinkOptions,
  SinkDelivered,
  SinkFact,
  SinkTransaction,
} from './sink-types.js'

/** One fact on its way: where it goes, and what to settle once Kafka has it. */
interface PendingFact {
  readonly ticket: TransactionTicket
  readonly index: number
  readonly fact: SinkFact
  readonly tx: SinkTransaction
  /** As routed, or as the client prepared it (then only its topic and partition may be read). */
  readonly record: OutgoingRecord
  readonly wireSize: number
  readonly minimumSize: number
  /** performance.now() when send() accepted the fact's transaction. */
  readonly acceptedAt: number
  /** Set when the record is a dead-letter record. */
  readonly deadLetter: DeadLetter | undefined
}

type Outcome = 'done' | 'stopped'

/** How long close() waits for a produce request still out. */
const closeGraceMs = 2_000

/**
 * The at-least-once sink: one produce request in flight at a time, each retried until Kafka
 * acknowledges it, so facts reach Kafka in the order they were sent. The delivered position
 * (DeliveryTracker) only moves over transactions whose facts are all acknowledged.
 */
export class FactSink implements AtLeastOnceSink {
  readonly kind = 'plain'
  readonly #options: KafkaSinkOptions
  readonly #createClient: (settings: ProducerClientSettings) => ProducerClient
  readonly #backoff: BackoffSettings
  readonly #parts: SinkParts
  readonly #queue: BatchQueue<PendingFact>
  readonly #tracker = new DeliveryTracker()
  readonly #limit: InFlightLimit
  readonly #stop = new AbortController()
  readonly #drainWaiters = new DrainWaiters()
  #client: ProducerClient | undefined
  #state: 'new' | 'connecting' | 'running' | 'halted' | 'closed' = 'new'
  #haltError: SinkHaltedError | undefined
  #lastOfferedLsn = 0n
  #wake: (() => void) | undefined
  #loop: Promise<void> | undefined
  #connecting: Promise<void> | undefined

  constructor(
    options: KafkaSinkOptions,
    createClient: (settings: ProducerClientSettings) => ProducerClient,
    backoff: BackoffSettings,
  ) {
    this.#parts = sinkParts(options)
    this.#options = options
    this.#createClient = createClient
    this.#backoff = backoff
    this.#queue = new BatchQueue(options.lingerMs ?? 0)
    this.#limit = newInFlightLimit(options)
  }

  get deliveredLsn(): bigint {
    return this.#tracker.deliveredLsn
  }

  get inFlight(): number {
    return this.#tracker.unsettledFacts
  }

  get healthy(): boolean {
    return this.#parts.reporter.healthy
  }

  connect(): Promise<void> {
    if (this.#state === 'closed') return Promise.reject(new SinkClosedError('connect'))
    // A second call while connecting waits for the same attempt.
    if (this.#state === 'connecting' && this.#connecting) return this.#connecting
    if (this.#state !== 'new') return Promise.resolve()
    this.#connecting = this.#connect().finally(() => {
      this.#connecting = undefined
    })
    return this.#connecting
  }

  async #connect(): Promise<void> {
    const compression = this.#options.compression ?? 'none'
    this.#state = 'connecting'
    let client: ProducerClient
    try {
      client = await startClient(
        this.#options,
        this.#createClient,
        clientSettings(this.#options, this.#parts.logger),
      )
    } catch (error) {
      // Closed meanwhile: stay closed.
      if (this.#state === 'connecting') this.#state = 'new'
      throw error
    }
    if (this.#state !== 'connecting') {
      await client.disconnect().catch(() => {})
      throw new SinkClosedError('connect')
    }
    this.#client = client
    this.#state = 'running'
    this.#parts.reporter.setHealth(true)
    this.#parts.logger.info({ brokers: this.#options.brokers, compression }, 'Kafka sink connected')
    this.#loop = this.#run(client).catch((error: unknown) => {
      // A bug, not a Kafka failure: stop visibly rather than sit "healthy" delivering nothing.
      const reason = `internal error in the delivery loop: ${error instanceof Error ? error.message : String(error)}`
      this.#stopWith(new SinkHaltedError(reason, this.deliveredLsn, undefined))
    })
  }

  async send(tx: SinkTransaction): Promise<void> {
    this.#assertAccepting()
    if (tx.endLsn < this.#lastOfferedLsn) {
      // Skipping WAL replays is the relay's job (its position owner knows what it handed); a
      // transaction ending before the last one here is a caller bug, refused before anything moves.
      throw new RangeError(
        `transaction ending at ${formatLsn(tx.endLsn)} offered after one ending at ` +
          `${formatLsn(this.#lastOfferedLsn)}: send() takes transactions in WAL order, replays skipped`,
      )
    }
    this.#lastOfferedLsn = tx.endLsn
    let bytes = 0
    for (const fact of tx.facts) bytes += fact.value.byteLength
    await this.#limit.acquire(tx.facts.length, bytes)
    if (this.#state !== 'running') {
      this.#limit.release(tx.facts.length, bytes)
      this.#assertAccepting()
    }
    const before = this.#tracker.deliveredLsn
    const ticket = this.#tracker.register(tx.endLsn, tx.facts.length)
    const acceptedAt = performance.now()
    const accepted = this.#parts.reporter.hooks.accepted
    const client = this.#client!
    for (let index = 0; index < tx.facts.length; index++) {
      const fact = tx.facts[index]!
      const route = this.#parts.router.route(fact)
      this.#parts.topics.meet(route.record.topic)
      this.#queue.push(
        {
          ticket,
          index,
          fact,
          tx,
          // Dead-letter records stay as they are: they may be split up or stripped of their value.
          record: route.tag === 'topic' && client.prepare ? client.prepare(route.record) : route.record,
          wireSize: recordWireSize(route.record),
          minimumSize: recordMinimumSize(route.record),
          acceptedAt,
          // The route itself: a dead-letter route is a DeadLetter (reason, original topic).
          deadLetter: route.tag === 'dead-letter' ? route : undefined,
        },
        acceptedAt,
      )
      if (accepted) this.#parts.reporter.call('accepted', () => accepted(fact, route.header))
    }
    if (this.#tracker.deliveredLsn > before) this.#parts.reporter.delivered(this.#tracker.deliveredLsn)
    this.#wake?.()
  }

  onDelivered(listener: (lsn: bigint) => void): () => void {
    return this.#parts.reporter.onDelivered(listener)
  }

  events(listener: (event: SinkDelivered) => void): () => void {
    return this.onDelivered((lsn) => listener({ type: 'delivered', lsn }))
  }

  drain(timeoutMs: number): Promise<boolean> {
    if (this.inFlight === 0) return Promise.resolve(true)
    return this.#drainWaiters.wait(timeoutMs)
  }

  async close(): Promise<void> {
    if (this.#state === 'closed') return
    this.#state = 'closed'
    this.#stop.abort()
    this.#limit.refuseAll(new SinkClosedError('send'))
    this.#wake?.()
    this.#parts.reporter.closed()
    await this.#client?.disconnect()
    // A produce request stuck on an unreachable broker may not notice the disconnect at once;
    // its outcome no longer matters (nothing more is confirmed), so close does not wait for it long.
    let timer: ReturnType<typeof setTimeout> | undefined
    await Promise.race([this.#loop, new Promise((resolve) => (timer = setTimeout(resolve, closeGraceMs)))])
    clearTimeout(timer)
    this.#parts.logger.info(
      { deliveredLsn: formatLsn(this.deliveredLsn), undelivered: this.inFlight },
      'Kafka sink closed',
    )
  }

  #assertAccepting(): void {
    if (this.#state === 'halted') throw this.#haltError!
    if (this.#state === 'closed') throw new SinkClosedError('send')
    if (this.#state !== 'running') throw new SinkNotConnectedError()
  }

  /** Sends batch after batch, one produce request at a time, until halted or closed. */
  async #run(client: ProducerClient): Promise<void> {
    const bound = this.#parts.bound
    const rules = {
      limitOf: (topic: string) => this.#parts.topics.limitOf(topic),
      get requestBytes() {
        return bound.recordBytes
      },
      deadLetterAlone: this.#parts.halt,
      inspect: (pending: PendingFact) => this.#parts.fit.fit(pending),
    }
    while (this.#state === 'running') {
      if (this.#queue.size > 0) {
        await this.#parts.bound.learn(client)
        await this.#parts.topics.learnLimits(client)
      }
      // No await unless lingering: facts arriving in between would skip the linger. After a
      // linger, go round again so the limits of topics met meanwhile are learned first.
      const lingerLeft = this.#queue.lingerLeft(performance.now())
      if (lingerLeft > 0) {
        await pause(lingerLeft, this.#stop.signal)
        continue
      }
      const batch = this.#queue.take(rules)
      if (batch.length === 0) {
        await new Promise<void>((resolve) => {
          this.#wake = resolve
        })
        this.#wake = undefined
        continue
      }
      if ((await this.#deliver(client, batch)) === 'stopped') return
    }
  }

  /**
   * Delivers the batch, retrying transient failures forever with capped backoff. The same records
   * are re-sent as they were, so the idempotent producer recognises what already landed. A record
   * refused for good is found by halving the batch (halves go in order, so per-key order holds),
   * then dead-lettered or, in halt mode, stops the sink.
   */
  async #deliver(client: ProducerClient, batch: PendingFact[]): Promise<Outcome> {
    if (this.#parts.halt && batch.length === 1 && batch[0]!.deadLetter) {
      const { fact, deadLetter, record } = batch[0]!
      return this.#haltAt(fact, deadLetter!.reason, deadLetter!.originalTopic ?? record.topic)
    }
    for (let attempt = 0; ; attempt++) {
      if (this.#state !== 'running') return 'stopped'
      try {
        await this.#parts.topics.ensureCreated(
          client,
          batch.map((pending) => pending.record.topic),
        )
        await client.produce(batch.map((pending) => pending.record))
      } catch (error) {
        const failure =
          error instanceof ProduceFailure ? error : new ProduceFailure('transient', undefined, String(error))
        if (this.#state !== 'running') return 'stopped'
        // A refused request is halved until the refused record is alone: only that one failed.
        if (failure.kind !== 'record-rejected' || batch.length === 1)
          this.#parts.reporter.deliveryFailed(batch, failure)
        if (failure.kind === 'record-rejected') return this.#isolateRejected(client, batch, failure)
        if (failure.kind === 'producer-state') {
          // Counted by the cluster chaos run: each reset may re-send records that had landed.
          this.#parts.logger.warn(
            { code: failure.code },
            'Kafka producer reset: the broker lost its sequence numbers',
          )
          await client.resetProducer()
        }
        await this.#waitBeforeRetry(client, batch, failure, attempt)
        continue
      }
      this.#settle(batch)
      return 'done'
    }
  }

  async #isolateRejected(
    client: ProducerClient,
    batch: PendingFact[],
    failure: ProduceFailure,
  ): Promise<Outcome> {
    // Other partitions of the refused request may have been written while their sequence numbers
    // were rolled back: a fresh producer identity keeps the broker from mistaking re-sent records
    // for duplicates (at worst they land twice, never lost nor reordered).
    await client.resetProducer()
    if (batch.length > 1) {
      const middle = Math.ceil(batch.length / 2)
      if ((await this.#deliver(client, batch.slice(0, middle))) === 'stopped') return 'stopped'
      return this.#deliver(client, batch.slice(middle))
    }
    const pending = batch[0]!
    const reason = `Kafka refused the record: ${failure.message}`
    if (!pending.deadLetter) {
      if (this.#parts.halt) return this.#haltAt(pending.fact, reason, pending.record.topic)
      this.#parts.logger.error(
        { lsn: formatLsn(pending.fact.lsn), topic: pending.record.topic, reason },
        'Kafka refused a fact; dead-lettering it',
      )
      return this.#deliver(client, [this.#parts.fit.asDeadLetter(pending, reason)])
    }
    if (pending.record.value !== null) {
      const why = `refused by '${pending.record.topic}': ${failure.message}`
      const bare = this.#parts.router.withoutValue(pending.record, why)
      return this.#deliver(client, [
        { ...pending, record: bare, wireSize: recordWireSize(bare), minimumSize: recordMinimumSize(bare) },
      ])
    }
    return this.#haltAt(
      pending.fact,
      `even the dead-letter topic '${pending.record.topic}' refused it: ${failure.message}`,
      pending.deadLetter.originalTopic,
    )
  }

  async #waitBeforeRetry(
    client: ProducerClient,
    batch: PendingFact[],
    failure: ProduceFailure,
    attempt: number,
  ): Promise<void> {
    const delay = backoffDelay(attempt, this.#backoff)
    const topics = [...new Set(batch.map((pending) => pending.record.topic))]
    let error: Error = new KafkaDeliveryError(topics, batch.length, failure.message, delay)
    if (failure.kind === 'topic-missing') {
      const missing = await client.missingTopics(topics).catch(() => [])
      if (missing.length > 0) error = new TopicMissingError(missing)
    }
    if (this.#parts.reporter.healthy)
      this.#parts.logger.warn({ error: error.message, code: failure.code }, 'Kafka delivery failing')
    else
      this.#parts.logger.debug(
        { error: error.message, code: failure.code, attempt },
        'Kafka delivery still failing',
      )
    this.#parts.reporter.setHealth(false, error)
    await pause(delay, this.#stop.signal)
  }

  #settle(batch: PendingFact[]): void {
    let advanced = false
    let bytes = 0
    for (const pending of batch) {
      if (this.#tracker.settle(pending.ticket, pending.index)) advanced = true
      bytes += pending.fact.value.byteLength
    }
    this.#parts.reporter.sent(batch, performance.now())
    this.#limit.release(batch.length, bytes)
    if (this.#state === 'running') this.#parts.reporter.setHealth(true)
    if (advanced) this.#parts.reporter.delivered(this.#tracker.deliveredLsn)
    if (this.inFlight === 0) this.#drainWaiters.settle(true)
  }

  #haltAt(fact: SinkFact, reason: string, topic: string | undefined): Outcome {
    this.#stopWith(new SinkHaltedError(reason, fact.lsn, topic))
    return 'stopped'
  }

  #stopWith(error: SinkHaltedError): void {
    if (this.#state !== 'running') return
    this.#haltError = error
    this.#state = 'halted'
    this.#limit.refuseAll(error)
    this.#parts.logger.error(
      { lsn: formatLsn(error.lsn), topic: error.topic, reason: error.reason },
      'Kafka sink halted on a permanent error',
    )
    this.#parts.reporter.stopped(error)
  }
}
