import { deadLetterTopicFor } from '@factlib/core/wire'
import { DeliveryTracker, type TransactionTicket } from './delivery-tracker.js'
import {
  KafkaDeliveryError,
  KafkaSinkConfigError,
  SinkClosedError,
  SinkHaltedError,
  SinkNotConnectedError,
  TopicMissingError,
} from './errors.js'
import {
  deadLetterRoute,
  recordBatchOverhead,
  recordMinimumSize,
  recordWireSize,
  routeFact,
  withoutValue,
} from './fact-routing.js'
import { InFlightLimit } from './in-flight-limit.js'
import { compressionAvailable, createKafkajsClient } from './kafkajs-client.js'
import { type Logger, silentLogger } from './logger.js'
import { lsnText } from './lsn-text.js'
import {
  type OutgoingRecord,
  ProduceFailure,
  type ProducerClient,
  type ProducerClientSettings,
} from './producer-client.js'
import { type BackoffSettings, backoffDelay, defaultBackoff, pause } from './retry-backoff.js'
import { clientSettings, connectClient, DrainWaiters } from './sink-connection.js'
import type { KafkaSink, KafkaSinkOptions, SinkFact, SinkHooks, SinkTransaction } from './sink-types.js'
import { TopicNames } from './topic-names.js'
import { TransactionalSink } from './transactional-sink.js'

/** One fact on its way: where it goes, and what to settle once Kafka has it. */
interface PendingFact {
  readonly ticket: TransactionTicket
  readonly index: number
  readonly fact: SinkFact
  readonly tx: SinkTransaction
  readonly record: OutgoingRecord
  readonly wireSize: number
  /** performance.now() when send() accepted the fact's transaction. */
  readonly acceptedAt: number
  /** Set when the record is a dead-letter record. */
  readonly deadLetter: { reason: string; originalTopic: string | undefined } | undefined
}

type Outcome = 'done' | 'stopped'

/** Produce requests stay well under the broker's default message.max.bytes (1 MiB) per partition. */
const maxBatchBytes = 768 * 1024
const maxBatchFacts = 10_000
/** How long a topic whose max.message.bytes could not be learned waits before it is asked again. */
const relearnLimitAfterMs = 30_000
/** How long close() waits for a produce request still out. */
const closeGraceMs = 2_000

const defaults = {
  maxInFlightFacts: 10_000,
  maxInFlightBytes: 16 * 1024 * 1024,
  clientId: 'factlib-kafka-sink',
}

/**
 * Creates a sink on kafkajs. Call connect() before send(). With `deliveryGuarantee:
 * 'exactly-once'` it is the transactional sink, which also needs resume() (the relay calls it).
 */
export function createKafkaSink(options: KafkaSinkOptions): KafkaSink {
  if (options.deliveryGuarantee === 'exactly-once') {
    return new TransactionalSink(options, (settings) => createKafkajsClient(settings))
  }
  return createSinkOnClient(options, (settings) => createKafkajsClient(settings))
}

/** The sink on any ProducerClient: the unit tests hand in an in-memory one. */
export function createSinkOnClient(
  options: KafkaSinkOptions,
  createClient: (settings: ProducerClientSettings) => ProducerClient,
  backoff: BackoffSettings = defaultBackoff,
): KafkaSink {
  return new FactSink(options, createClient, backoff)
}

class FactSink implements KafkaSink {
  readonly #logger: Logger
  readonly #hooks: SinkHooks
  readonly #options: KafkaSinkOptions
  readonly #createClient: (settings: ProducerClientSettings) => ProducerClient
  readonly #deadLetterTopic: (prefix: string) => string
  readonly #halt: boolean
  readonly #tracker = new DeliveryTracker()
  readonly #limit: InFlightLimit
  readonly #stop = new AbortController()
  readonly #listeners = new Set<(lsn: bigint) => void>()
  readonly #drainWaiters = new DrainWaiters()
  /** Topics created (or found) already, when the sink creates topics. */
  readonly #knownTopics = new Set<string>()
  /** max.message.bytes per topic, undefined while unknown, and when it was last asked for. */
  readonly #limits = new Map<string, { bytes: number | undefined; askedAt: number }>()
  /** Topics queued whose limit has not been asked for yet. */
  readonly #unlearned = new Set<string>()
  readonly #topicNames = new TopicNames()
  readonly #deadLetterTopics = new Map<string, string>()
  #client: ProducerClient | undefined
  #state: 'new' | 'connecting' | 'running' | 'halted' | 'closed' = 'new'
  #healthy = false
  #haltError: SinkHaltedError | undefined
  #lastOfferedLsn = 0n
  #queue: PendingFact[] = []
  #queueStart = 0
  /** performance.now() when the oldest fact still queued was accepted, for lingerMs. */
  #queuedSince = 0
  #wake: (() => void) | undefined
  #loop: Promise<void> | undefined
  #connecting: Promise<void> | undefined

  constructor(
    options: KafkaSinkOptions,
    createClient: (settings: ProducerClientSettings) => ProducerClient,
    readonly backoff: BackoffSettings,
  ) {
    if (!Array.isArray(options.brokers) || options.brokers.length === 0) {
      throw new KafkaSinkConfigError('brokers', 'name at least one broker (host:port)')
    }
    const { createTopics } = options
    if (createTopics && !(createTopics.partitions >= 1 && createTopics.replicationFactor >= 1)) {
      throw new KafkaSinkConfigError('createTopics', 'partitions and replicationFactor must be at least 1')
    }
    this.#options = options
    this.#createClient = createClient
    this.#logger = options.logger ?? silentLogger
    this.#hooks = options.hooks ?? {}
    this.#deadLetterTopic = options.deadLetterTopic ?? deadLetterTopicFor
    this.#halt = options.onPermanentError === 'halt'
    try {
      this.#limit = new InFlightLimit(
        options.maxInFlightFacts ?? defaults.maxInFlightFacts,
        options.maxInFlightBytes ?? defaults.maxInFlightBytes,
      )
    } catch (error) {
      throw new KafkaSinkConfigError('maxInFlightFacts/maxInFlightBytes', (error as Error).message)
    }
    const { lingerMs } = options
    if (lingerMs !== undefined && !(Number.isFinite(lingerMs) && lingerMs >= 0)) {
      throw new KafkaSinkConfigError(
        'lingerMs',
        `must be a number of milliseconds, 0 or more; got ${lingerMs}`,
      )
    }
  }

  get deliveredLsn(): bigint {
    return this.#tracker.deliveredLsn
  }

  get inFlight(): number {
    return this.#tracker.unsettledFacts
  }

  get healthy(): boolean {
    return this.#healthy
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
    if (!compressionAvailable(compression)) {
      throw new KafkaSinkConfigError(
        'compression',
        `no ${compression} codec is registered with kafkajs; call registerCompressionCodec('${compression}', codec) ` +
          'from @factlib/kafka-sink first (see the README), or use gzip',
      )
    }
    this.#state = 'connecting'
    const client = this.#createClient(clientSettings(this.#options, this.#logger))
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
    this.#state = 'running'
    this.#setHealth(true)
    this.#logger.info({ brokers: this.#options.brokers, compression }, 'Kafka sink connected')
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
        `transaction ending at ${lsnText(tx.endLsn)} offered after one ending at ` +
          `${lsnText(this.#lastOfferedLsn)}: send() takes transactions in WAL order, replays skipped`,
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
    if (this.#queueStart === this.#queue.length) this.#queuedSince = acceptedAt
    const accepted = this.#hooks.accepted
    for (let index = 0; index < tx.facts.length; index++) {
      const fact = tx.facts[index]!
      const route = routeFact(fact, this.#deadLetterTopicOf(fact.prefix), this.#topicNames)
      if (!this.#limits.has(route.record.topic)) this.#unlearned.add(route.record.topic)
      this.#queue.push({
        ticket,
        index,
        fact,
        tx,
        record: route.record,
        wireSize: recordWireSize(route.record),
        acceptedAt,
        deadLetter:
          route.kind === 'dead-letter'
            ? { reason: route.reason, originalTopic: route.originalTopic }
            : undefined,
      })
      if (accepted) {
        try {
          accepted(fact, route.header)
        } catch (error) {
          this.#hookThrew('accepted', error)
        }
      }
    }
    if (this.#tracker.deliveredLsn > before) this.#notifyDelivered()
    this.#wake?.()
  }

  onDelivered(listener: (lsn: bigint) => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
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
    this.#healthy = false
    await this.#client?.disconnect()
    // A produce request stuck on an unreachable broker may not notice the disconnect at once;
    // its outcome no longer matters (nothing more is confirmed), so close does not wait for it long.
    let timer: ReturnType<typeof setTimeout> | undefined
    await Promise.race([this.#loop, new Promise((resolve) => (timer = setTimeout(resolve, closeGraceMs)))])
    clearTimeout(timer)
    this.#logger.info(
      { deliveredLsn: lsnText(this.deliveredLsn), undelivered: this.inFlight },
      'Kafka sink closed',
    )
  }

  #deadLetterTopicOf(prefix: string): string {
    let topic = this.#deadLetterTopics.get(prefix)
    if (topic === undefined) {
      topic = this.#deadLetterTopic(prefix)
      this.#deadLetterTopics.set(prefix, topic)
    }
    return topic
  }

  #assertAccepting(): void {
    if (this.#state === 'halted') throw this.#haltError!
    if (this.#state === 'closed') throw new SinkClosedError('send')
    if (this.#state !== 'running') throw new SinkNotConnectedError()
  }

  /** Sends batch after batch, one produce request at a time, until halted or closed. */
  async #run(client: ProducerClient): Promise<void> {
    while (this.#state === 'running') {
      if (this.#queueStart < this.#queue.length) await this.#learnLimits(client)
      // No await unless lingering: facts arriving in between would skip the linger. After a
      // linger, go round again so the limits of topics met meanwhile are learned first.
      const lingerLeft = this.#lingerLeft()
      if (lingerLeft > 0) {
        await pause(lingerLeft, this.#stop.signal)
        continue
      }
      const batch = this.#takeBatch()
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
   * Asks the cluster for the max.message.bytes of topics not seen before, so that batches stay
   * under it and a record that can never fit goes to the dead-letter topic without first failing
   * a whole request (whose other partitions would then be written twice).
   */
  async #learnLimits(client: ProducerClient): Promise<void> {
    const now = Date.now()
    for (const [topic, limit] of this.#limits) {
      if (limit.bytes === undefined && now - limit.askedAt > relearnLimitAfterMs) this.#unlearned.add(topic)
    }
    if (this.#unlearned.size === 0) return
    const topics = [...this.#unlearned]
    this.#unlearned.clear()
    const settings = this.#options.createTopics
    if (settings) {
      const unknown = topics.filter((topic) => !this.#knownTopics.has(topic))
      if (unknown.length > 0) {
        // Failures are retried when delivering; the limits just stay unknown for now.
        await client.createTopics(unknown, settings).then(
          () => {
            for (const topic of unknown) this.#knownTopics.add(topic)
          },
          () => {},
        )
      }
    }
    const limits = await client.maxMessageBytes(topics).catch(() => new Map<string, number>())
    for (const topic of topics) this.#limits.set(topic, { bytes: limits.get(topic), askedAt: now })
  }

  /** How long the next batch still lingers: lingerMs from its oldest fact, unless it is full. */
  #lingerLeft(): number {
    const lingerMs = this.#options.lingerMs ?? 0
    if (lingerMs <= 0 || this.#queueStart === this.#queue.length) return 0
    if (this.#queue.length - this.#queueStart >= maxBatchFacts) return 0
    return this.#queuedSince + lingerMs - performance.now()
  }

  /** As many queued facts as fit one request; in halt mode a dead-letter record goes alone. */
  #takeBatch(): PendingFact[] {
    const batch: PendingFact[] = []
    let bytes = 0
    const bytesPerTopic = new Map<string, number>()
    while (this.#queueStart < this.#queue.length && batch.length < maxBatchFacts) {
      const next = this.#refuseIfTooLarge(this.#queue[this.#queueStart]!)
      this.#queue[this.#queueStart] = next
      const { topic } = next.record
      const topicBytes = bytesPerTopic.get(topic) ?? 0
      if (batch.length > 0) {
        if (bytes + next.wireSize > maxBatchBytes || (this.#halt && next.deadLetter)) break
        // All of a topic's records in one request must fit one partition's limit: conservative.
        const limit = this.#limits.get(topic)?.bytes
        if (limit !== undefined && topicBytes + next.wireSize > limit * 0.9 - recordBatchOverhead) break
      }
      batch.push(next)
      bytes += next.wireSize
      bytesPerTopic.set(topic, topicBytes + next.wireSize)
      this.#queueStart += 1
      if (this.#halt && next.deadLetter) break
    }
    // What is left over filled a request: it goes next, without lingering.
    this.#queuedSince = Number.NEGATIVE_INFINITY
    if (this.#queueStart === this.#queue.length) {
      this.#queue = []
      this.#queueStart = 0
    } else if (this.#queueStart > 4096) {
      this.#queue = this.#queue.slice(this.#queueStart)
      this.#queueStart = 0
    }
    return batch
  }

  /**
   * A record larger than its topic's max.message.bytes, even counting only its own bytes, is routed
   * to the dead-letter topic before it is sent. Only without compression: compressed, it might fit.
   */
  #refuseIfTooLarge(pending: PendingFact): PendingFact {
    if (pending.deadLetter || (this.#options.compression ?? 'none') !== 'none') return pending
    const limit = this.#limits.get(pending.record.topic)?.bytes
    if (limit === undefined) return pending
    const size = recordBatchOverhead + recordMinimumSize(pending.record)
    if (size <= limit) return pending
    const reason =
      `MESSAGE_TOO_LARGE: the record takes at least ${size} bytes, more than max.message.bytes ` +
      `(${limit}) of topic '${pending.record.topic}'`
    return this.#asDeadLetter(pending, reason)
  }

  /** The dead-letter form of a fact that was meant for its own topic, keeping its key and headers. */
  #asDeadLetter(pending: PendingFact, reason: string): PendingFact {
    const route = deadLetterRoute(
      pending.fact,
      this.#deadLetterTopicOf(pending.fact.prefix),
      reason,
      pending.record.topic,
      undefined,
    )
    route.record.headers = { ...pending.record.headers, ...route.record.headers }
    route.record.key = pending.record.key
    delete route.record.partition
    if (!this.#limits.has(route.record.topic)) this.#unlearned.add(route.record.topic)
    return {
      ...pending,
      record: route.record,
      wireSize: recordWireSize(route.record),
      deadLetter: { reason, originalTopic: pending.record.topic },
    }
  }

  /**
   * Delivers the batch, retrying transient failures forever with capped backoff. The same records
   * are re-sent as they were, so the idempotent producer recognises what already landed. A record
   * refused for good is found by halving the batch (halves go in order, so per-key order holds),
   * then dead-lettered or, in halt mode, stops the sink.
   */
  async #deliver(client: ProducerClient, batch: PendingFact[]): Promise<Outcome> {
    if (this.#halt && batch.length === 1 && batch[0]!.deadLetter) {
      const { fact, deadLetter, record } = batch[0]!
      return this.#haltAt(fact, deadLetter!.reason, deadLetter!.originalTopic ?? record.topic)
    }
    for (let attempt = 0; ; attempt++) {
      if (this.#state !== 'running') return 'stopped'
      try {
        await this.#ensureTopics(client, batch)
        await client.produce(batch.map((pending) => pending.record))
      } catch (error) {
        const failure =
          error instanceof ProduceFailure ? error : new ProduceFailure('transient', undefined, String(error))
        if (this.#state !== 'running') return 'stopped'
        // A refused request is halved until the refused record is alone: only that one failed.
        if (failure.kind !== 'record-rejected' || batch.length === 1) this.#reportFailure(batch, failure)
        if (failure.kind === 'record-rejected') return this.#isolateRejected(client, batch, failure)
        if (failure.kind === 'producer-state') {
          // Counted by the cluster chaos run: each reset may re-send records that had landed.
          this.#logger.warn(
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
      if (this.#halt) return this.#haltAt(pending.fact, reason, pending.record.topic)
      this.#logger.error(
        { lsn: lsnText(pending.fact.lsn), topic: pending.record.topic, reason },
        'Kafka refused a fact; dead-lettering it',
      )
      return this.#deliver(client, [this.#asDeadLetter(pending, reason)])
    }
    if (pending.record.value !== null) {
      const bare = withoutValue(pending.record, `refused by '${pending.record.topic}': ${failure.message}`)
      return this.#deliver(client, [{ ...pending, record: bare, wireSize: recordWireSize(bare) }])
    }
    return this.#haltAt(
      pending.fact,
      `even the dead-letter topic '${pending.record.topic}' refused it: ${failure.message}`,
      pending.deadLetter.originalTopic,
    )
  }

  async #ensureTopics(client: ProducerClient, batch: PendingFact[]): Promise<void> {
    const settings = this.#options.createTopics
    if (!settings) return
    const unknown = new Set<string>()
    for (const { record } of batch) if (!this.#knownTopics.has(record.topic)) unknown.add(record.topic)
    if (unknown.size === 0) return
    const topics = [...unknown]
    await client.createTopics(topics, settings)
    for (const topic of topics) this.#knownTopics.add(topic)
    this.#logger.info({ topics, ...settings }, 'Kafka topics ready')
  }

  async #waitBeforeRetry(
    client: ProducerClient,
    batch: PendingFact[],
    failure: ProduceFailure,
    attempt: number,
  ): Promise<void> {
    const delay = backoffDelay(attempt, this.backoff)
    const topics = [...new Set(batch.map((pending) => pending.record.topic))]
    let error: Error = new KafkaDeliveryError(topics, batch.length, failure.message, delay)
    if (failure.kind === 'topic-missing') {
      const missing = await client.missingTopics(topics).catch(() => [])
      if (missing.length > 0) error = new TopicMissingError(missing)
    }
    if (this.#healthy)
      this.#logger.warn({ error: error.message, code: failure.code }, 'Kafka delivery failing')
    else
      this.#logger.debug(
        { error: error.message, code: failure.code, attempt },
        'Kafka delivery still failing',
      )
    this.#setHealth(false, error)
    await pause(delay, this.#stop.signal)
  }

  /** Tells the deliveryFailed hook how many records of each topic a failed request held. */
  #reportFailure(batch: PendingFact[], failure: ProduceFailure): void {
    const hook = this.#hooks.deliveryFailed
    if (!hook) return
    const perTopic = new Map<string, number>()
    for (const { record } of batch) perTopic.set(record.topic, (perTopic.get(record.topic) ?? 0) + 1)
    const type = failure.kind === 'record-rejected' ? 'rejected' : 'produce_error'
    for (const [topic, facts] of perTopic)
      this.#callHook('deliveryFailed', () => hook(topic, facts, type, failure))
  }

  #settle(batch: PendingFact[]): void {
    let advanced = false
    let bytes = 0
    const hooks = this.#hooks
    const now = performance.now()
    for (const pending of batch) {
      if (this.#tracker.settle(pending.ticket, pending.index)) advanced = true
      bytes += pending.fact.value.byteLength
      try {
        if (pending.deadLetter) {
          hooks.deadLettered?.(pending.deadLetter.reason, pending.deadLetter.originalTopic, pending.fact)
        } else {
          hooks.delivered?.(pending.record.topic, pending.fact, pending.tx, (now - pending.acceptedAt) / 1000)
        }
      } catch (error) {
        this.#hookThrew(pending.deadLetter ? 'deadLettered' : 'delivered', error)
      }
    }
    this.#limit.release(batch.length, bytes)
    for (const pending of batch) {
      if (pending.deadLetter) {
        this.#logger.error(
          {
            lsn: lsnText(pending.fact.lsn),
            originalTopic: pending.deadLetter.originalTopic,
            deadLetterTopic: pending.record.topic,
            reason: pending.deadLetter.reason,
          },
          'fact dead-lettered',
        )
      }
    }
    this.#setHealth(true)
    if (advanced) this.#notifyDelivered()
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
    this.#logger.error(
      { lsn: lsnText(error.lsn), topic: error.topic, reason: error.reason },
      'Kafka sink halted on a permanent error',
    )
    // Reported even when already unhealthy (retrying): halting is news the caller must get.
    this.#healthy = false
    this.#callHook('healthChanged', () => this.#hooks.healthChanged?.(false, error))
  }

  #setHealth(healthy: boolean, error?: Error): void {
    if (healthy && this.#state !== 'running') return
    if (healthy === this.#healthy) return
    this.#healthy = healthy
    if (healthy) this.#logger.info({}, 'Kafka delivery healthy again')
    this.#callHook('healthChanged', () => this.#hooks.healthChanged?.(healthy, error))
  }

  #notifyDelivered(): void {
    const lsn = this.#tracker.deliveredLsn
    for (const listener of this.#listeners) {
      try {
        listener(lsn)
      } catch (error) {
        this.#logger.warn({ error: String(error) }, 'onDelivered listener threw; ignored')
      }
    }
  }

  #callHook(name: string, call: () => void): void {
    try {
      call()
    } catch (error) {
      this.#hookThrew(name, error)
    }
  }

  #hookThrew(name: string, error: unknown): void {
    this.#logger.warn({ hook: name, error: String(error) }, 'sink hook threw; ignored')
  }
}
