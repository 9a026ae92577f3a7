/// <reference types="node" preserve="true" />
import type { FactTransaction } from './fact-transaction.js'
import type { DeliveredEvent, PlainHandler } from './handler.js'
import { createRelay, type RelayOptions, type SourceOptions } from './relay.js'

/** A transaction read from the slot; call `done()` once its facts are safely where they go. */
export interface FactDelivery extends FactTransaction {
  /**
   * Marks the transaction delivered. The position confirmed to PostgreSQL moves past it once it
   * and every earlier one are done, in any order; one never done is read again after a restart.
   */
  done(): void
}

export interface SubscribeOptions extends SourceOptions {
  /** Stops the subscription (the iterator then ends); the same as leaving the for-await loop. */
  signal?: AbortSignal
  logger?: RelayOptions['logger']
  /** At most this many facts taken and not yet done before reading pauses. Default 10,000. */
  maxInFlightFacts?: number
}

/**
 * The facts of the given prefixes, transaction by transaction, from a logical replication slot:
 * the TypeScript form of the seed's `Subscribe`. Reconnects, waits as a standby while another
 * reader holds the slot, and confirms what is done; reading is pull-based. A large transaction
 * comes in parts (`complete` false) before its last one.
 */
export async function* subscribeFacts(
  options: SubscribeOptions,
): AsyncGenerator<FactDelivery, void, undefined> {
  const { signal, logger, maxInFlightFacts = 10_000, ...source } = options
  const queue = new DeliveryQueue(maxInFlightFacts)
  const stop = new AbortController()
  const onAbort = () => stop.abort()
  signal?.addEventListener('abort', onAbort, { once: true })
  const relay = createRelay({ source, handler: queue, ...(logger ? { logger } : {}) })
  const running = relay.run(stop.signal).then(
    () => queue.end(),
    (error: unknown) => queue.end(error),
  )
  try {
    for (;;) {
      const item = await queue.take()
      if (!item) break
      yield item
    }
  } finally {
    signal?.removeEventListener('abort', onAbort)
    stop.abort()
    await running
  }
}

/** The handler behind subscribeFacts: hands transactions to the consumer as it pulls. */
class DeliveryQueue implements PlainHandler {
  readonly kind = 'plain'
  readonly #listeners = new Set<(event: DeliveredEvent) => void>()
  /** Taken by the consumer, in order; `done` flags. */
  readonly #taken: Array<{ transaction: FactTransaction; done: boolean }> = []
  #waiting: FactTransaction | undefined
  #wakeConsumer: (() => void) | undefined
  #wakeProducer: (() => void) | undefined
  #inFlight = 0
  #ended = false
  #error: unknown

  constructor(private readonly maxInFlightFacts: number) {}

  get inFlight(): number {
    return this.#inFlight + (this.#waiting?.facts.length ?? 0)
  }

  events(listener: (event: DeliveredEvent) => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  /** Resolves once the consumer has taken the transaction and there is room for more. */
  async send(transaction: FactTransaction): Promise<void> {
    this.#waiting = transaction
    this.#wakeConsumer?.()
    while (this.#waiting === transaction || this.#inFlight > this.maxInFlightFacts) {
      if (this.#ended) return
      await new Promise<void>((resolve) => {
        this.#wakeProducer = resolve
      })
    }
  }

  async take(): Promise<FactDelivery | undefined> {
    while (!this.#waiting) {
      if (this.#ended) {
        if (this.#error) throw this.#error
        return undefined
      }
      await new Promise<void>((resolve) => {
        this.#wakeConsumer = resolve
      })
    }
    const transaction = this.#waiting
    this.#waiting = undefined
    const entry = { transaction, done: false }
    this.#taken.push(entry)
    this.#inFlight += transaction.facts.length
    this.#wakeProducer?.()
    return {
      ...transaction,
      done: () => {
        if (entry.done) return
        entry.done = true
        this.#inFlight -= transaction.facts.length
        this.#advance()
        this.#wakeProducer?.()
      },
    }
  }

  end(error?: unknown): void {
    this.#ended = true
    this.#error = error
    this.#wakeConsumer?.()
    this.#wakeProducer?.()
  }

  /** Reports the newest whole transaction that, with every earlier one, is done. */
  #advance(): void {
    let newest: bigint | undefined
    while (this.#taken.length > 0 && this.#taken[0]!.done) {
      const { transaction } = this.#taken.shift()!
      if (transaction.complete) newest = transaction.endLsn
    }
    if (newest === undefined) return
    const event: DeliveredEvent = { type: 'delivered', lsn: newest }
    for (const listener of this.#listeners) listener(event)
  }
}
