import { KafkaConnectError, KafkaSinkConfigError } from './errors.js'
import { InFlightLimit } from './in-flight-limit.js'
import { type Logger, silentLogger } from './logger.js'
import type { ProducerClient, ProducerClientSettings } from './producer-client.js'
import { type RecordSizing, recordSizing } from './record-fit.js'
import { minimumMaxRequestBytes } from './request-bound.js'
import { SinkReporter } from './sink-reporter.js'
import type { KafkaSinkOptions } from './sink-types.js'
import { TopicCatalogue } from './topic-catalogue.js'

const defaultClientId = 'factlib-kafka-sink'
const defaultMaxInFlightFacts = 10_000
const defaultMaxInFlightBytes = 16 * 1024 * 1024

/** What both sinks are built of, the same way from the same options. */
export interface SinkParts extends RecordSizing {
  readonly logger: Logger
  readonly reporter: SinkReporter
  /** The topics written to: created when asked, and each one's max.message.bytes. */
  readonly topics: TopicCatalogue
  /** `onPermanentError: 'halt'`: a record refused for good stops the sink. */
  readonly halt: boolean
}

/** Checks the options (KafkaSinkConfigError naming the one that is wrong) and builds the parts. */
export function sinkParts(options: KafkaSinkOptions): SinkParts {
  checkSinkOptions(options)
  const logger = options.logger ?? silentLogger
  const topics = new TopicCatalogue(options.createTopics, logger)
  return {
    logger,
    reporter: new SinkReporter(logger, options.hooks),
    topics,
    halt: options.onPermanentError === 'halt',
    ...recordSizing(options, topics, logger),
  }
}

/** Checks what both sinks need of their options; throws KafkaSinkConfigError naming the option. */
function checkSinkOptions(options: KafkaSinkOptions): void {
  if (!Array.isArray(options.brokers) || options.brokers.length === 0) {
    throw new KafkaSinkConfigError('brokers', 'name at least one broker (host:port)')
  }
  const { createTopics, lingerMs, maxRequestBytes } = options
  if (createTopics && !(createTopics.partitions >= 1 && createTopics.replicationFactor >= 1)) {
    throw new KafkaSinkConfigError('createTopics', 'partitions and replicationFactor must be at least 1')
  }
  if (lingerMs !== undefined && !(Number.isFinite(lingerMs) && lingerMs >= 0)) {
    throw new KafkaSinkConfigError('lingerMs', `must be a number of milliseconds, 0 or more; got ${lingerMs}`)
  }
  if (
    maxRequestBytes !== undefined &&
    !(Number.isSafeInteger(maxRequestBytes) && maxRequestBytes >= minimumMaxRequestBytes)
  ) {
    throw new KafkaSinkConfigError(
      'maxRequestBytes',
      `must be a whole number of bytes, at least ${minimumMaxRequestBytes}; got ${maxRequestBytes}`,
    )
  }
  newInFlightLimit(options)
}

/**
 * Both sinks' start-up: a client for the settings, refused before it connects when it has no codec
 * for the compression (every produce would fail and be retried, or every Kafka transaction
 * aborted, for good), then connected; what it opened is closed again when connecting fails.
 */
export async function startClient<Client extends ProducerClient>(
  options: KafkaSinkOptions,
  createClient: (settings: ProducerClientSettings) => Client,
  settings: ProducerClientSettings,
): Promise<Client> {
  const client = createClient(settings)
  const unavailable = client.compressionUnavailable(settings.compression)
  if (unavailable !== undefined) throw new KafkaSinkConfigError('compression', unavailable)
  await connectClient(client, options.brokers)
  return client
}

/** The bound on facts and bytes accepted and not yet settled, from the options. */
export function newInFlightLimit(options: KafkaSinkOptions): InFlightLimit {
  try {
    return new InFlightLimit(
      options.maxInFlightFacts ?? defaultMaxInFlightFacts,
      options.maxInFlightBytes ?? defaultMaxInFlightBytes,
    )
  } catch (error) {
    throw new KafkaSinkConfigError('maxInFlightFacts/maxInFlightBytes', (error as Error).message)
  }
}

/** The client settings both sinks derive from their options. */
export function clientSettings(
  options: KafkaSinkOptions,
  logger: Logger,
  transactional?: ProducerClientSettings['transactional'],
): ProducerClientSettings {
  return {
    brokers: options.brokers,
    clientId: options.clientId ?? defaultClientId,
    ...(options.sasl ? { sasl: options.sasl } : {}),
    ...(options.ssl ? { ssl: options.ssl } : {}),
    compression: options.compression ?? 'none',
    logger,
    ...(transactional ? { transactional } : {}),
  }
}

/** Connects the client, or disconnects what it opened and says which brokers refused and why. */
async function connectClient(client: ProducerClient, brokers: readonly string[]): Promise<void> {
  try {
    await client.connect()
  } catch (error) {
    await client.disconnect().catch(() => {})
    throw new KafkaConnectError(brokers, error instanceof Error ? error.message : String(error))
  }
}

/**
 * Callers of `drain(timeoutMs)`: each waits until told (true: nothing in flight; false: what was
 * in flight is lost) or until its timeout (false).
 */
export class DrainWaiters {
  readonly #waiters = new Set<(drained: boolean) => void>()

  wait(timeoutMs: number): Promise<boolean> {
    return new Promise((resolve) => {
      const finish = (drained: boolean) => {
        clearTimeout(timer)
        this.#waiters.delete(finish)
        resolve(drained)
      }
      const timer = setTimeout(() => finish(false), Math.max(0, timeoutMs))
      this.#waiters.add(finish)
    })
  }

  settle(drained: boolean): void {
    for (const waiter of [...this.#waiters]) waiter(drained)
  }
}
