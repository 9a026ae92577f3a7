import type { Logger } from './logger.js'
import type { ProducerClient } from './producer-client.js'

/** Kafka's default socket.request.max.bytes: a broker closes the connection on a larger request. */
export const defaultMaxRequestBytes = 100 * 1024 * 1024
/** The smallest maxRequestBytes the sink takes: below it the margin would leave no room. */
export const minimumMaxRequestBytes = 128 * 1024
/**
 * What a produce request takes besides its records: request and topic headers, client and
 * transactional ids, partition headers, a record batch header per partition, and the slack of
 * the records' estimated sizes. Kept off the bound so that the records alone can be summed.
 */
const requestMarginBytes = 64 * 1024
/** How long a bound that could not be learned waits before the brokers are asked again. */
const relearnAfterMs = 60_000

/**
 * The largest produce request the sink may build. A broker answers a request over its
 * socket.request.max.bytes by closing the connection, which looks like any network fault and
 * would be retried forever; so no request may exceed it. The bound is the smaller of what the
 * brokers say and what the caller configured; with neither, Kafka's default.
 */
export class RequestBound {
  readonly #configured: number | undefined
  readonly #logger: Logger
  #learned: number | undefined
  /** Date.now() of the last failed attempt to learn; undefined once learned or denied. */
  #failedAt: number | undefined = Number.NEGATIVE_INFINITY

  constructor(configured: number | undefined, logger: Logger) {
    this.#configured = configured
    this.#logger = logger
  }

  /** The bound on a whole produce request, in bytes. */
  get maxRequestBytes(): number {
    const known = Math.min(
      this.#configured ?? Number.POSITIVE_INFINITY,
      this.#learned ?? Number.POSITIVE_INFINITY,
    )
    return Number.isFinite(known) ? known : defaultMaxRequestBytes
  }

  /** What the records of one request may take together, as summed by their estimated sizes. */
  get recordBytes(): number {
    const bound = this.maxRequestBytes
    return Math.max(bound - requestMarginBytes, Math.floor(bound / 2))
  }

  /**
   * Asks the brokers for their socket.request.max.bytes, once; again a while after a failure.
   * Never throws: a cluster that does not say leaves the configured bound or the default.
   */
  async learn(client: ProducerClient): Promise<void> {
    if (this.#failedAt === undefined || Date.now() - this.#failedAt < relearnAfterMs) return
    try {
      const { maxRequestBytes } = await client.brokerLimits()
      this.#failedAt = undefined
      if (maxRequestBytes === undefined) return
      this.#learned = maxRequestBytes
      this.#logger.debug(
        { socketRequestMaxBytes: maxRequestBytes, maxRequestBytes: this.maxRequestBytes },
        'Kafka sink learned the brokers’ request size limit',
      )
    } catch (error) {
      this.#failedAt = Date.now()
      this.#logger.debug(
        {
          error: error instanceof Error ? error.message : String(error),
          maxRequestBytes: this.maxRequestBytes,
        },
        'Kafka sink could not learn the brokers’ request size limit; using the configured bound or the default',
      )
    }
  }
}
