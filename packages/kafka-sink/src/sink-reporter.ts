import { formatLsn } from '@factlib/wal'
import type { DeadLetter } from './fact-router.js'
import type { Logger } from './logger.js'
import type { OutgoingRecord, ProduceFailure } from './producer-client.js'
import type { SinkFact, SinkHooks, SinkTransaction } from './sink-types.js'

/** A fact Kafka has taken, on its topic or the dead-letter topic. */
export interface SentFact {
  readonly fact: SinkFact
  readonly tx: SinkTransaction
  readonly record: OutgoingRecord
  /** performance.now() when send() accepted it. */
  readonly acceptedAt: number
  readonly deadLetter: DeadLetter | undefined
}

/**
 * How a sink tells the outside what happens: its hooks, its health, and the listeners of
 * onDelivered. Hooks and listeners run on the hot path; one that throws is logged and ignored,
 * never allowed to stop delivery.
 */
export class SinkReporter {
  readonly hooks: SinkHooks
  readonly #logger: Logger
  readonly #deliveredListeners = new Set<(lsn: bigint) => void>()
  #healthy = false

  constructor(logger: Logger, hooks: SinkHooks | undefined) {
    this.#logger = logger
    this.hooks = hooks ?? {}
  }

  get healthy(): boolean {
    return this.#healthy
  }

  /** Reports a change of health; nothing when it is unchanged. */
  setHealth(healthy: boolean, error?: Error): void {
    if (healthy === this.#healthy) return
    this.#healthy = healthy
    if (healthy) this.#logger.info({}, 'Kafka delivery healthy again')
    this.call('healthChanged', () => this.hooks.healthChanged?.(healthy, error))
  }

  /** Reports a stop, even when already unhealthy (retrying): halting is news the caller must get. */
  stopped(error: Error): void {
    this.#healthy = false
    this.call('healthChanged', () => this.hooks.healthChanged?.(false, error))
  }

  /** Marks the sink unhealthy without a report: it is closing. */
  closed(): void {
    this.#healthy = false
  }

  /** Tells the deliveryFailed hook how many records of each topic a failed request held. */
  deliveryFailed(items: readonly { record: OutgoingRecord }[], failure: ProduceFailure): void {
    const hook = this.hooks.deliveryFailed
    if (!hook) return
    const perTopic = new Map<string, number>()
    for (const { record } of items) perTopic.set(record.topic, (perTopic.get(record.topic) ?? 0) + 1)
    // `rejected` only once the refused record is alone; before that the request is split.
    const type = failure.kind === 'record-rejected' && items.length === 1 ? 'rejected' : 'produce_error'
    for (const [topic, count] of perTopic)
      this.call('deliveryFailed', () => hook(topic, count, type, failure))
  }

  /**
   * Calls the delivered or deadLettered hook of each fact Kafka has taken, and logs each
   * dead-lettered one as an error (`note` says when it becomes visible).
   */
  sent(facts: readonly SentFact[], now: number, note = ''): void {
    const { delivered, deadLettered } = this.hooks
    for (const sent of facts) {
      const { fact, deadLetter, record } = sent
      if (deadLetter) {
        this.#logger.error(
          {
            lsn: formatLsn(fact.lsn),
            originalTopic: deadLetter.originalTopic,
            deadLetterTopic: record.topic,
            reason: deadLetter.reason,
          },
          `fact dead-lettered${note}`,
        )
        if (deadLettered)
          this.call('deadLettered', () => deadLettered(deadLetter.reason, deadLetter.originalTopic, fact))
      } else if (delivered) {
        // Called for every fact: no closure per call, as `call` would take.
        try {
          delivered(record.topic, fact, sent.tx, (now - sent.acceptedAt) / 1000)
        } catch (error) {
          this.#hookThrew('delivered', error)
        }
      }
    }
  }

  onDelivered(listener: (lsn: bigint) => void): () => void {
    this.#deliveredListeners.add(listener)
    return () => this.#deliveredListeners.delete(listener)
  }

  /** Tells the onDelivered listeners the new delivered position. */
  delivered(lsn: bigint): void {
    for (const listener of this.#deliveredListeners) {
      try {
        listener(lsn)
      } catch (error) {
        this.#logger.warn({ error: String(error) }, 'onDelivered listener threw; ignored')
      }
    }
  }

  /** Calls a hook, logging and ignoring what it throws. */
  call(name: string, call: () => void): void {
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
