import { readEnvelopeHeader } from '@factlib/core/wire'
import { createKafkaSink, type KafkaSink, type KafkaSinkOptions } from '@factlib/kafka-sink'
import {
  createRelay,
  type FactTransaction,
  type Relay,
  type RelayRole,
  type SessionStep,
} from '@factlib/relay'
import { BackendMessageDecodeError, formatLsn, PgoutputDecodeError, PostgresError } from '@factlib/wal'
import type { Logger } from 'pino'
import { kafkaSsl, type OwlpostConfig } from '../config/load-config.js'
import { redactUrl } from '../config/redact.js'
import type { WalErrorType } from '../operations/go-metrics.js'
import { type RelayMetrics, tallyPerLabel, tallyPerLabelPair } from '../operations/metrics.js'
import { kafkaClient } from '../slot-gap/kafka-client.js'
import { missingSlotGuard } from '../slot-gap/missing-slot-guard.js'

export type { RelayRole }

/** @factlib/relay's status, and whether Kafka is healthy. */
export interface OwlpostStatus {
  role: RelayRole
  postgresConnected: boolean
  kafkaHealthy: boolean
  /** The position that may be confirmed to PostgreSQL (everything before it is in Kafka), as `X/Y`. */
  confirmedLsn: string
  inFlight: number
}

/**
 * owlpost's relay: @factlib/relay reading the slot, with @factlib/kafka-sink as the handler of
 * every prefix, and owlpost's logging and metrics around them. The loop, the position and the
 * failure handling live in @factlib/relay; this is composition.
 */
export class OwlpostRelay {
  private readonly sink: KafkaSink
  private readonly relay: Relay
  /** Facts that reached Kafka, dead letters included (see `progress`). */
  private delivered = 0
  /** performance.now() when the transaction being handed to the sink was offered. */
  private handingSince = 0
  /** Seconds the sink took to accept it: one clock read per transaction, its facts are accepted together. */
  private handingSeconds: number | undefined

  constructor(
    private readonly config: OwlpostConfig,
    private readonly logger: Logger,
    private readonly metrics: RelayMetrics,
    sinkFactory: (options: KafkaSinkOptions) => KafkaSink = createKafkaSink,
  ) {
    this.sink = sinkFactory(this.sinkOptions())
    const factsRead = tallyPerLabel(metrics.factsRead)
    const debug = logger.isLevelEnabled('debug')
    this.relay = createRelay({
      source: {
        connectionString: config.databaseUrl,
        slot: config.slotName,
        publication: config.publicationName,
        prefixes: config.prefixes,
        applicationName: config.appName,
        statusIntervalMs: config.statusIntervalMs,
        confirmIntervalMs: config.confirmIntervalMs,
        silenceTimeoutMs: config.silenceTimeoutMs,
        maxMessageBytes: config.maxMessageBytes,
        failoverSlot: config.failoverSlot,
        missingSlotGuard: missingSlotGuard({
          kafka: () => kafkaClient(config.kafka, 'slot-gap'),
          prefixes: config.prefixes,
          checkpointTopic: config.kafka.exactlyOnce?.checkpointTopic,
          allowRecreate: config.allowSlotRecreate,
          logger: logger.child({ component: 'slot-gap' }),
        }),
      },
      handler: this.sink,
      standbyRetryMs: config.standbyRetryMs,
      reconnectMaxBackoffMs: config.reconnectMaxBackoffMs,
      shutdownTimeoutMs: config.shutdownTimeoutMs,
      logger: logger.child({ component: 'relay' }),
      hooks: {
        handing: (transaction) => {
          this.handingSince = performance.now()
          this.handingSeconds = undefined
          for (const fact of transaction.facts) {
            factsRead(fact.prefix)
            if (debug) {
              logger.debug(
                { prefix: fact.prefix, lsn: formatLsn(fact.lsn), bytes: fact.value.byteLength },
                'fact read',
              )
            }
          }
        },
        handingFailed: (transaction) => this.countHandlerFailure(transaction),
        sessionFailed: (error, step) => {
          metrics.reconnects.inc({ target: 'postgres' })
          metrics.go.walReplicationErrors.inc({
            slot: config.slotName,
            error_type: walErrorType(error, step),
          })
        },
        roleChanged: (role) => {
          metrics.active.set(role === 'active' ? 1 : 0)
          if (role === 'active') {
            logger.info(
              {
                slot: config.slotName,
                publication: config.publicationName,
                url: redactUrl(config.databaseUrl),
              },
              'streaming facts',
            )
          }
        },
        confirmed: (lsn) => {
          metrics.confirmedLsn.set(Number(lsn))
          metrics.inFlightFacts.set(this.sink.inFlight)
        },
      },
    })
  }

  status(): OwlpostStatus {
    return { ...this.relay.status(), kafkaHealthy: this.sink.healthy }
  }

  get failed(): boolean {
    return this.relay.failed
  }

  /** Facts that reached Kafka so far, dead letters included: liveness watches it grow. */
  get progress(): number {
    return this.delivered
  }

  /** Runs until `signal` aborts (then drains and confirms) or a halting error. */
  run(signal: AbortSignal): Promise<void> {
    return this.relay.run(signal)
  }

  private sinkOptions(): KafkaSinkOptions {
    const kafka = this.config.kafka
    const metrics = this.metrics
    const go = metrics.go
    const labels = metrics.labels
    // Acknowledged on its topic: ours and Go's produce success. Accepted: Go's consumed and handled.
    const countDelivered = tallyPerLabel(metrics.factsDelivered, go.produceSuccess)
    const countAccepted = tallyPerLabelPair(go.eventsConsumed, go.handlerSuccess)
    if (kafka.exactlyOnce) {
      // Both outcomes from the start, so the first abort is an increase an alert sees.
      for (const outcome of ['committed', 'aborted']) metrics.eosTransactions.inc({ outcome }, 0)
    }
    return {
      brokers: [...kafka.brokers],
      clientId: kafka.clientId,
      ...(kafka.sasl ? { sasl: kafka.sasl } : {}),
      ssl: kafkaSsl(kafka),
      compression: kafka.compression,
      maxInFlightFacts: kafka.maxInFlightFacts,
      maxInFlightBytes: kafka.maxInFlightBytes,
      lingerMs: kafka.lingerMs,
      ...(kafka.maxRequestBytes ? { maxRequestBytes: kafka.maxRequestBytes } : {}),
      ...(kafka.deadLetterTopic ? { deadLetterTopic: () => kafka.deadLetterTopic as string } : {}),
      onPermanentError: kafka.onPermanentError,
      createTopics: kafka.createTopics ?? false,
      deliveryGuarantee: kafka.deliveryGuarantee,
      ...(kafka.exactlyOnce
        ? { exactlyOnce: { ...kafka.exactlyOnce, checkpointKey: this.config.slotName } }
        : {}),
      logger: this.logger.child({ component: 'kafka-sink' }),
      hooks: {
        // Called while sink.send() runs: the fact was read and handed on (the Go handler's success).
        accepted: (_fact, envelope) => {
          const aggregateType = labels.aggregateType.of(envelope?.aggregateType ?? '')
          const eventType = labels.eventType.of(envelope?.eventType ?? '')
          countAccepted(aggregateType, eventType)
          this.handingSeconds ??= (performance.now() - this.handingSince) / 1000
          go.handlerLatency.observe(this.handingSeconds, 1, aggregateType, eventType)
        },
        delivered: (deliveredTo, _fact, transaction, seconds) => {
          this.delivered++
          const topic = labels.topic.of(deliveredTo)
          countDelivered(topic)
          go.produceLatency.observe(seconds, 1, topic)
          if (transaction.commitTime) {
            metrics.commitToAck.observe(Math.max(0, Date.now() - transaction.commitTime.getTime()) / 1000, 1)
          }
        },
        deliveryFailed(failedTopic, facts, type) {
          go.produceFailures.inc({ topic: labels.topic.of(failedTopic), error_type: type }, facts)
        },
        deadLettered: (_reason, originalTopic) => {
          this.delivered++
          const topic = labels.topic.of(originalTopic ?? 'unknown')
          metrics.factsDeadLettered.inc({ topic })
          go.produceFailures.inc({ topic, error_type: 'dead_letter' })
        },
        transactionCommitted(_checkpoint, facts, seconds) {
          metrics.eosTransactions.inc({ outcome: 'committed' })
          metrics.eosTransactionSeconds.observe(seconds)
          metrics.eosTransactionFacts.observe(facts)
        },
        transactionAborted: (error) => {
          metrics.eosTransactions.inc({ outcome: 'aborted' })
          this.logger.warn({ err: error }, 'Kafka transaction aborted; resending from the checkpoint')
        },
        healthChanged: (healthy, error) => {
          this.metrics.kafkaHealthy.set(healthy ? 1 : 0)
          if (healthy) this.logger.info('kafka healthy')
          else {
            this.metrics.reconnects.inc({ target: 'kafka' })
            this.logger.warn({ err: error }, 'kafka unhealthy; holding the WAL position until it recovers')
          }
        },
      },
    }
  }

  /** A transaction the sink refused (halted, closed): its facts were read but not handed on. */
  private countHandlerFailure(transaction: FactTransaction): void {
    const go = this.metrics.go
    for (const fact of transaction.facts) {
      let labels = { aggregate_type: '', event_type: '' }
      try {
        const header = readEnvelopeHeader(fact.value)
        const caps = this.metrics.labels
        labels = {
          aggregate_type: caps.aggregateType.of(header.aggregateType),
          event_type: caps.eventType.of(header.eventType),
        }
      } catch {
        // An envelope that does not decode is counted with empty labels.
      }
      go.eventsConsumed.inc(labels)
      go.handlerFailures.inc({ ...labels, error_type: 'handler_error' })
    }
  }
}

/** The Go owlpost's word for what broke the replication session, where the cause is the same. */
function walErrorType(error: unknown, step: SessionStep): WalErrorType {
  if (step !== 'stream') return step
  // A message that does not parse, pgoutput or the protocol's own (both were PgoutputDecodeError once).
  if (error instanceof PgoutputDecodeError || error instanceof BackendMessageDecodeError)
    return 'parse_logical_msg'
  if (error instanceof PostgresError) return 'pg_error'
  return 'receive_message'
}
