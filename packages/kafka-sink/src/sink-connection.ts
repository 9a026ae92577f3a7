import { KafkaConnectError } from './errors.js'
import type { Logger } from './logger.js'
import type { ProducerClient, ProducerClientSettings } from './producer-client.js'
import type { KafkaSinkOptions } from './sink-types.js'

const defaultClientId = 'factlib-kafka-sink'

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
