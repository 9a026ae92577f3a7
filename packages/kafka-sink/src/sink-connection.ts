import { KafkaConnectError, KafkaSinkConfigError } from './errors.js'
import { InFlightLimit } from './in-flight-limit.js'
import { compressionAvailable } from './kafkajs-client.js'
import type { Logger } from './logger.js'
import type { ProducerClient, ProducerClientSettings } from './producer-client.js'
import { minimumMaxRequestBytes } from './request-bound.js'
import type { KafkaSinkOptions } from './sink-types.js'

const defaultClientId = 'factlib-kafka-sink'
const defaultMaxInFlightFacts = 10_000
const defaultMaxInFlightBytes = 16 * 1024 * 1024

/** Checks what both sinks need of their options; throws KafkaSinkConfigError naming the option. */
export function checkSinkOptions(options: KafkaSinkOptions): void {
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
 * Refuses, before connecting, a compression whose codec kafkajs does not have: every produce would
 * fail and be retried (or every Kafka transaction aborted) for good. Registers Node's zstd when
 * asked for it, for both sinks.
 */
export function checkCompression(options: KafkaSinkOptions): void {
  const compression = options.compression ?? 'none'
  if (!compressionAvailable(compression)) {
    throw new KafkaSinkConfigError(
      'compression',
      `no ${compression} codec is registered with kafkajs; call registerCompressionCodec('${compression}', codec) ` +
        'from @factlib/kafka-sink first (see the README), or use gzip',
    )
  }
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
export async function connectClient(client: ProducerClient, brokers: readonly string[]): Promise<void> {
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
