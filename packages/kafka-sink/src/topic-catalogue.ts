import type { Logger } from './logger.js'
import type { ProducerClient, TopicSettings } from './producer-client.js'

/** How long a topic whose max.message.bytes could not be learned waits before it is asked again. */
const relearnLimitAfterMs = 30_000

/**
 * What the sink knows of the topics it writes to: which it has created (or found), when it
 * creates topics, and each one's max.message.bytes, so that batches stay under it and a record
 * that can never fit is dead-lettered before it fails a whole request (whose other partitions
 * would then be written twice).
 */
export class TopicCatalogue {
  readonly #createTopics: TopicSettings | undefined
  readonly #logger: Logger
  readonly #created = new Set<string>()
  /** max.message.bytes per topic, undefined while unknown, and when it was last asked for. */
  readonly #limits = new Map<string, { bytes: number | undefined; askedAt: number }>()
  /** Topics met whose limit has not been asked for yet. */
  readonly #unlearned = new Set<string>()

  constructor(createTopics: TopicSettings | false | undefined, logger: Logger) {
    this.#createTopics = createTopics || undefined
    this.#logger = logger
  }

  /** Notes a topic a record is about to go to; its limit is asked for by the next learnLimits(). */
  meet(topic: string): void {
    if (!this.#limits.has(topic)) this.#unlearned.add(topic)
  }

  /** The topic's max.message.bytes, when known. */
  limitOf(topic: string): number | undefined {
    return this.#limits.get(topic)?.bytes
  }

  /**
   * Creates the topics met since the last call (when the sink creates topics) and asks for their
   * limits, and again for limits that could not be learned a while ago. Never throws: what fails
   * stays unknown, and creating is tried again before delivering.
   */
  async learnLimits(client: ProducerClient): Promise<void> {
    const now = Date.now()
    for (const [topic, limit] of this.#limits) {
      if (limit.bytes === undefined && now - limit.askedAt > relearnLimitAfterMs) this.#unlearned.add(topic)
    }
    if (this.#unlearned.size === 0) return
    const topics = [...this.#unlearned]
    this.#unlearned.clear()
    await this.ensureCreated(client, topics).catch(() => {})
    const limits = await client.maxMessageBytes(topics).catch(() => new Map<string, number>())
    for (const topic of topics) this.#limits.set(topic, { bytes: limits.get(topic), askedAt: now })
  }

  /** Creates those of the topics not created yet, when the sink creates topics; throws what Kafka said. */
  async ensureCreated(client: ProducerClient, topics: Iterable<string>): Promise<void> {
    const settings = this.#createTopics
    if (!settings) return
    const missing = [...new Set(topics)].filter((topic) => !this.#created.has(topic))
    if (missing.length === 0) return
    await client.createTopics(missing, settings)
    for (const topic of missing) this.#created.add(topic)
    this.#logger.info({ topics: missing, ...settings }, 'Kafka topics ready')
  }
}
