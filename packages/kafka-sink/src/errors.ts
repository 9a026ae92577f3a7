import { formatLsn } from '@factlib/wal'

/**
 * Thrown from send() after a permanent per-fact error when onPermanentError is 'halt'. Names the
 * fact that stopped the sink; nothing from it on is delivered or confirmed.
 */
export class SinkHaltedError extends Error {
  override readonly name = 'SinkHaltedError'
  constructor(
    readonly reason: string,
    readonly lsn: bigint,
    readonly topic: string | undefined,
  ) {
    super(
      `Kafka sink halted at the fact with LSN ${formatLsn(lsn)}${topic ? ` for topic '${topic}'` : ''}: ${reason}`,
    )
  }
}

/** send() after close(). */
export class SinkClosedError extends Error {
  override readonly name = 'SinkClosedError'
  constructor(readonly operation: string) {
    super(`Kafka sink is closed: cannot ${operation}`)
  }
}

/** send() before connect(). */
export class SinkNotConnectedError extends Error {
  override readonly name = 'SinkNotConnectedError'
  constructor() {
    super('Kafka sink is not connected: call connect() before send()')
  }
}

/** Options the sink cannot work with (a compression without a codec, a bad limit...). */
export class KafkaSinkConfigError extends Error {
  override readonly name = 'KafkaSinkConfigError'
  constructor(
    readonly option: string,
    detail: string,
  ) {
    super(`Kafka sink option '${option}': ${detail}`)
  }
}

/**
 * Topics that do not exist while topic creation is off and the broker did not create them on its
 * own. The sink keeps retrying (someone may create them) and reports itself unhealthy with this.
 */
export class TopicMissingError extends Error {
  override readonly name = 'TopicMissingError'
  constructor(readonly topics: readonly string[]) {
    super(
      `Kafka topic${topics.length > 1 ? 's' : ''} ${topics.map((topic) => `'${topic}'`).join(', ')} ` +
        'do not exist, the broker did not create them (auto.create.topics.enable is off) and the sink ' +
        'option createTopics is not set: create them, or set createTopics',
    )
  }
}

/**
 * A delivery attempt that failed and will be retried; passed to healthChanged(false). The message
 * never carries credentials.
 */
export class KafkaDeliveryError extends Error {
  override readonly name = 'KafkaDeliveryError'
  constructor(
    readonly topics: readonly string[],
    readonly factCount: number,
    detail: string,
    readonly retryInMs: number,
  ) {
    super(
      `delivering ${factCount} fact${factCount === 1 ? '' : 's'} to ${topics.map((t) => `'${t}'`).join(', ')} ` +
        `failed: ${detail}; retrying in ${retryInMs} ms`,
    )
  }
}

/** connect() could not reach the brokers or was refused; the message never carries credentials. */
export class KafkaConnectError extends Error {
  override readonly name = 'KafkaConnectError'
  constructor(
    readonly brokers: readonly string[],
    detail: string,
  ) {
    super(`connecting to Kafka at ${brokers.join(', ')} failed: ${detail}`)
  }
}

/**
 * The exactly-once sink's transactional id was taken over by a newer producer (a standby that
 * became active). This sink never writes again. (A fencing answer to a transaction open longer
 * than transaction.timeout.ms is a TransactionTimedOutError instead.)
 */
export class ProducerFencedError extends Error {
  override readonly name = 'ProducerFencedError'
  constructor(
    readonly transactionalId: string,
    detail: string,
  ) {
    super(
      `the Kafka producer with transactional id '${transactionalId}' was fenced (${detail}): another ` +
        'relay took over this slot; this one stops writing',
    )
  }
}

/**
 * The exactly-once sink aborted its open Kafka transaction: the facts in it were not delivered and
 * must be resent from the last committed checkpoint (the relay does so by resuming).
 */
export class TransactionAbortedError extends Error {
  override readonly name = 'TransactionAbortedError'
  constructor(
    readonly checkpoint: bigint,
    detail: string,
  ) {
    super(
      `Kafka transaction aborted (${detail}); facts after checkpoint ${formatLsn(checkpoint)} will be resent`,
    )
  }
}

/**
 * The broker answered the exactly-once sink with a fencing error (INVALID_PRODUCER_EPOCH,
 * PRODUCER_FENCED) while its open Kafka transaction was older than transaction.timeout.ms: the
 * coordinator aborted the transaction for its age and bumped the epoch, which is what fencing
 * looks like. Not fatal: given to `onLost` like TransactionAbortedError; the relay ends the
 * session and resumes, and only the instance that holds the replication slot gets that far.
 */
export class TransactionTimedOutError extends Error {
  override readonly name = 'TransactionTimedOutError'
  constructor(
    readonly transactionalId: string,
    readonly checkpoint: bigint,
    readonly openMs: number,
    readonly timeoutMs: number,
    detail: string,
  ) {
    super(
      `the Kafka transaction of transactional id '${transactionalId}' was open ${Math.round(openMs)} ms, ` +
        `longer than transaction.timeout.ms (${timeoutMs} ms), and the broker aborted it (${detail}: the ` +
        `timeout, not another relay); facts after checkpoint ${formatLsn(checkpoint)} will be resent`,
    )
  }
}
