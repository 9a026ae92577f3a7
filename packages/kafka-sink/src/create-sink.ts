import { type BackoffSettings, defaultBackoff } from '@factlib/wal'
import { KafkaSinkConfigError } from './errors.js'
import { FactSink } from './kafka-sink.js'
import type {
  ProducerClient,
  ProducerClientSettings,
  TransactionalProducerClient,
} from './producer-client.js'
import type { AtLeastOnceSink, ExactlyOnceSink, KafkaSink, KafkaSinkOptions } from './sink-types.js'
import { TransactionalSink } from './transactional-sink.js'

/** Options that ask for the exactly-once sink, whose client must be a TransactionalProducerClient. */
export type ExactlyOnceSinkOptions = KafkaSinkOptions & { deliveryGuarantee: 'exactly-once' }

/**
 * The sink on any Kafka client behind the ProducerClient interface: the at-least-once sink, or with
 * `deliveryGuarantee: 'exactly-once'` the exactly-once sink (then `createClient` must give a
 * TransactionalProducerClient). createKafkaSink is this on kafkajs; the unit tests hand in
 * in-memory brokers. `backoff`: the at-least-once sink's retry delays and the exactly-once sink's
 * resume() retries.
 */
export function createSinkOnClient(
  options: ExactlyOnceSinkOptions,
  createClient: (settings: ProducerClientSettings) => TransactionalProducerClient,
  backoff?: BackoffSettings,
): ExactlyOnceSink
export function createSinkOnClient(
  options: KafkaSinkOptions & { deliveryGuarantee?: 'at-least-once' },
  createClient: (settings: ProducerClientSettings) => ProducerClient,
  backoff?: BackoffSettings,
): AtLeastOnceSink
export function createSinkOnClient(
  options: KafkaSinkOptions,
  createClient: (settings: ProducerClientSettings) => ProducerClient,
  backoff?: BackoffSettings,
): KafkaSink
export function createSinkOnClient(
  options: KafkaSinkOptions,
  createClient: (settings: ProducerClientSettings) => ProducerClient | TransactionalProducerClient,
  backoff: BackoffSettings = defaultBackoff,
): KafkaSink {
  if (options.deliveryGuarantee !== 'exactly-once') return new FactSink(options, createClient, backoff)
  const transactional = (settings: ProducerClientSettings): TransactionalProducerClient => {
    const client = createClient(settings)
    if (!isTransactional(client)) {
      throw new KafkaSinkConfigError(
        'deliveryGuarantee',
        'exactly-once needs a client with transactions (a TransactionalProducerClient)',
      )
    }
    return client
  }
  return new TransactionalSink(options, transactional, backoff)
}

function isTransactional(client: ProducerClient): client is TransactionalProducerClient {
  const candidate = client as Partial<TransactionalProducerClient>
  return (
    typeof candidate.initTransactions === 'function' &&
    typeof candidate.beginTransaction === 'function' &&
    typeof candidate.commitTransaction === 'function' &&
    typeof candidate.abortTransaction === 'function' &&
    typeof candidate.createCompactedTopic === 'function' &&
    typeof candidate.readLatestCommitted === 'function'
  )
}
