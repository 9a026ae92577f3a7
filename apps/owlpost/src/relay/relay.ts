import { readFileSync } from 'node:fs'
import { readEnvelopeHeader } from '@factlib/core/wire'
import {
  createKafkaSink,
  type KafkaSink,
  type KafkaSinkOptions,
  type SinkFact,
  type SinkTransaction,
} from '@factlib/kafka-sink'
import {
  formatLsn,
  PgoutputDecodeError,
  PostgresError,
  ReplicationConnection,
  type ReplicationEvent,
  type ReplicationStream,
} from '@factlib/wal'
import type { Logger } from 'pino'
import type { OwlpostConfig } from '../config/load-config.js'
import { redactUrl } from '../config/redact.js'
import type { WalErrorType } from '../operations/go-metrics.js'
import { type RelayMetrics, tallyPerLabel, tallyPerLabelPair } from '../operations/metrics.js'
import { Aborted, abortable, backoffDelay, Interrupter, pause } from './abortable.js'
import { ensurePublicationAndSlot } from './slot-setup.js'
import { type AssemblerOutput, TransactionAssembler } from './transaction-assembler.js'

/** SQLSTATE object_in_use: another walsender holds the slot, so this instance is the standby. */
const slotInUse = '55006'

export type RelayRole = 'starting' | 'standby' | 'active' | 'reconnecting' | 'stopping' | 'stopped' | 'failed'

export interface RelayStatus {
  role: RelayRole
  postgresConnected: boolean
  kafkaHealthy: boolean
  deliveredLsn: string
  inFlight: number
}

/**
 * The loop: read the slot, hand our facts to the sink per transaction, confirm to PostgreSQL
 * only what Kafka has acknowledged. Reading is pull-based: while the sink is full, `send`
 * pends, the loop stops pulling, and the replication socket is paused.
 */
export class Relay {
  private role: RelayRole = 'starting'
  private postgresConnected = false
  /** The live replication session; kept past an abort so shutdown can confirm before closing it. */
  private session: { connection: ReplicationConnection; stream?: ReplicationStream } | undefined
  private readonly sink: KafkaSink
  private readonly assembler: TransactionAssembler
  private readonly factsRead: (prefix: string) => void
  /** performance.now() when the transaction being handed to the sink was offered. */
  private handingSince = 0
  /** The step of the replication session under way, to name what failed. */
  private step: 'connect' | 'slot_setup' | 'start_replication' | 'stream' = 'connect'

  constructor(
    private readonly config: OwlpostConfig,
    private readonly logger: Logger,
    private readonly metrics: RelayMetrics,
    sinkFactory: (options: KafkaSinkOptions) => KafkaSink = createKafkaSink,
  ) {
    this.assembler = new TransactionAssembler(new Set(config.prefixes))
    this.factsRead = tallyPerLabel(metrics.factsRead)
    this.sink = sinkFactory(this.sinkOptions())
    this.sink.onDelivered((lsn) => {
      this.session?.stream?.acknowledge(lsn)
      this.metrics.confirmedLsn.set(Number(lsn))
      this.metrics.inFlightFacts.set(this.sink.inFlight)
    })
  }

  status(): RelayStatus {
    return {
      role: this.role,
      postgresConnected: this.postgresConnected,
      kafkaHealthy: this.sink.healthy,
      deliveredLsn: formatLsn(this.sink.deliveredLsn),
      inFlight: this.sink.inFlight,
    }
  }

  get failed(): boolean {
    return this.role === 'failed'
  }

  /** Runs until `signal` aborts (then drains and confirms) or a halting error. */
  async run(signal: AbortSignal): Promise<void> {
    try {
      await this.connectSink(signal)
      let attempt = 0
      while (!signal.aborted) {
        try {
          const progressed = await this.replicate(signal)
          attempt = progressed ? 0 : attempt + 1
        } catch (error) {
          if (signal.aborted || error instanceof Aborted) break
          if (isHalting(error)) throw error
          this.metrics.reconnects.inc({ target: 'postgres' })
          this.metrics.go.walReplicationErrors.inc({
            slot: this.config.slotName,
            error_type: this.walErrorType(error),
          })
          this.logger.warn({ err: error }, 'replication interrupted; reconnecting')
          this.role = 'reconnecting'
          await pause(backoffDelay(attempt++, this.config.reconnectMaxBackoffMs), signal)
        }
      }
      await this.shutdown()
    } catch (error) {
      this.role = 'failed'
      this.logger.error({ err: error }, 'relay halted')
      await this.sink.close().catch(() => undefined)
      throw error
    }
  }

  /** The Go owlpost's word for what broke the replication session, where the cause is the same. */
  private walErrorType(error: unknown): WalErrorType {
    if (this.step !== 'stream') return this.step
    if (error instanceof PgoutputDecodeError) return 'parse_logical_msg'
    if (error instanceof PostgresError) return 'pg_error'
    return 'receive_message'
  }

  private sinkOptions(): KafkaSinkOptions {
    const kafka = this.config.kafka
    const ssl = kafka.sslCaFile ? { ca: [readFileSync(kafka.sslCaFile, 'utf8')] } : kafka.ssl
    const metrics = this.metrics
    const go = metrics.go
    const factsDelivered = tallyPerLabel(metrics.factsDelivered)
    const produced = tallyPerLabel(go.produceSuccess)
    const consumed = tallyPerLabelPair(go.eventsConsumed)
    const handed = tallyPerLabelPair(go.handlerSuccess)
    return {
      brokers: [...kafka.brokers],
      clientId: kafka.clientId,
      ...(kafka.sasl ? { sasl: kafka.sasl } : {}),
      ssl,
      compression: kafka.compression,
      maxInFlightFacts: kafka.maxInFlightFacts,
      maxInFlightBytes: kafka.maxInFlightBytes,
      lingerMs: kafka.lingerMs,
      ...(kafka.deadLetterTopic ? { deadLetterTopic: () => kafka.deadLetterTopic as string } : {}),
      onPermanentError: kafka.onPermanentError,
      createTopics: kafka.createTopics ?? false,
      logger: this.logger.child({ component: 'kafka-sink' }),
      hooks: {
        // Called while sink.send() runs: the fact was read and handed on (the Go handler's success).
        accepted: (_fact, envelope) => {
          const aggregateType = envelope?.aggregateType ?? ''
          const eventType = envelope?.eventType ?? ''
          consumed(aggregateType, eventType)
          handed(aggregateType, eventType)
          go.handlerLatency.observe(
            (performance.now() - this.handingSince) / 1000,
            1,
            aggregateType,
            eventType,
          )
        },
        delivered(topic, _fact, transaction, seconds) {
          factsDelivered(topic)
          produced(topic)
          go.produceLatency.observe(seconds, 1, topic)
          if (transaction.commitTime) {
            metrics.commitToAck.observe(Math.max(0, Date.now() - transaction.commitTime.getTime()) / 1000)
          }
        },
        deliveryFailed(topic, facts, type) {
          go.produceFailures.inc({ topic, error_type: type }, facts)
        },
        deadLettered(_reason, originalTopic) {
          metrics.factsDeadLettered.inc({ topic: originalTopic ?? 'unknown' })
          go.produceFailures.inc({ topic: originalTopic ?? 'unknown', error_type: 'dead_letter' })
        },
        healthChanged: (healthy, error) => {
          if (healthy) this.logger.info('kafka healthy')
          else {
            this.metrics.reconnects.inc({ target: 'kafka' })
            this.logger.warn({ err: error }, 'kafka unhealthy; holding the WAL position until it recovers')
          }
        },
      },
    }
  }

  private async connectSink(signal: AbortSignal): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await abortable(this.sink.connect(), signal)
        this.logger.info({ brokers: this.config.kafka.brokers }, 'connected to kafka')
        return
      } catch (error) {
        if (error instanceof Aborted) throw error
        this.logger.warn({ err: error }, 'cannot connect to kafka yet; retrying')
        await pause(backoffDelay(attempt, this.config.reconnectMaxBackoffMs), signal)
        if (signal.aborted) throw new Aborted()
      }
    }
  }

  /** One replication session. Returns whether it got as far as streaming. */
  private async replicate(signal: AbortSignal): Promise<boolean> {
    this.step = 'connect'
    const connection = await ReplicationConnection.connect({
      connectionString: this.config.databaseUrl,
      applicationName: this.config.appName,
      logger: this.logger.child({ component: 'wal' }),
    })
    this.postgresConnected = true
    this.session = { connection }
    try {
      this.step = 'slot_setup'
      await ensurePublicationAndSlot(
        connection,
        { publication: this.config.publicationName, slot: this.config.slotName },
        this.logger,
      )
      let stream: ReplicationStream
      this.step = 'start_replication'
      try {
        stream = await connection.startReplication({
          slot: this.config.slotName,
          publicationNames: [this.config.publicationName],
          protoVersion: 1,
          messages: true,
          statusIntervalMs: this.config.statusIntervalMs,
          confirmIntervalMs: this.config.confirmIntervalMs,
          silenceTimeoutMs: this.config.silenceTimeoutMs,
        })
      } catch (error) {
        if (error instanceof PostgresError && error.code === slotInUse) {
          if (this.role !== 'standby') {
            this.logger.info(
              { slot: this.config.slotName },
              'slot is held by another owlpost; waiting as standby',
            )
          }
          this.role = 'standby'
          this.metrics.active.set(0)
          await pause(this.config.standbyRetryMs, signal)
          return true
        }
        throw error
      }
      this.session.stream = stream
      this.step = 'stream'
      this.assembler.resetConnection()
      if (this.sink.deliveredLsn > 0n) stream.acknowledge(this.sink.deliveredLsn)
      this.role = 'active'
      this.metrics.active.set(1)
      this.logger.info(
        {
          slot: this.config.slotName,
          publication: this.config.publicationName,
          url: redactUrl(this.config.databaseUrl),
        },
        'streaming facts',
      )
      await this.pump(stream, signal)
      return true
    } finally {
      this.postgresConnected = false
      this.metrics.active.set(0)
      if (!signal.aborted) await this.closeSession()
    }
  }

  private async closeSession(): Promise<void> {
    const session = this.session
    this.session = undefined
    await session?.stream?.close().catch(() => undefined)
    await session?.connection.close().catch(() => undefined)
  }

  private async pump(stream: ReplicationStream, signal: AbortSignal): Promise<void> {
    const events = stream[Symbol.asyncIterator]()
    const interrupter = new Interrupter(signal)
    while (!signal.aborted) {
      // Events already received are handled without a promise each; only waiting for the
      // server or for room in the sink goes through the event loop.
      let event = stream.read()
      if (event === undefined) {
        const next = await interrupter.wrap(events.next())
        if (next.done) throw new Error('replication stream ended')
        event = next.value
      }
      const handing = this.handle(event, stream)
      if (handing) await interrupter.wrap(handing)
    }
  }

  /** Returns the sink's promise when a transaction was handed over, else nothing to wait for. */
  private handle(event: ReplicationEvent, stream: ReplicationStream): Promise<void> | undefined {
    if (event.type === 'keepalive') {
      // Nothing of ours is open or unacknowledged, so everything up to the server's WAL end is
      // done with: confirming it keeps an idle slot (or one busy with other writes) from pinning WAL.
      if (!this.assembler.inTransaction && this.sink.inFlight === 0) stream.acknowledge(event.walEnd)
      return undefined
    }
    const outputs = this.assembler.accept(event.message)
    if (outputs.length === 0) return undefined
    return this.handOver(outputs, stream)
  }

  private async handOver(outputs: readonly AssemblerOutput[], stream: ReplicationStream): Promise<void> {
    for (const output of outputs) {
      if (output.kind === 'empty-commit') {
        if (this.sink.inFlight === 0) stream.acknowledge(output.endLsn)
        continue
      }
      const transaction = output.transaction
      this.countRead(transaction.facts)
      this.handingSince = performance.now()
      try {
        await this.sink.send(transaction)
      } catch (error) {
        this.countHandlerFailure(transaction)
        throw error
      }
      this.metrics.inFlightFacts.set(this.sink.inFlight)
    }
  }

  /** A transaction the sink refused (halted, closed): its facts were read but not handed on. */
  private countHandlerFailure(transaction: SinkTransaction): void {
    const go = this.metrics.go
    for (const fact of transaction.facts) {
      let labels = { aggregate_type: '', event_type: '' }
      try {
        const header = readEnvelopeHeader(fact.value)
        labels = { aggregate_type: header.aggregateType, event_type: header.eventType }
      } catch {
        // An envelope that does not decode is counted with empty labels.
      }
      go.eventsConsumed.inc(labels)
      go.handlerFailures.inc({ ...labels, error_type: 'handler_error' })
    }
  }

  private countRead(facts: readonly SinkFact[]): void {
    const debug = this.logger.isLevelEnabled('debug')
    for (const fact of facts) {
      this.factsRead(fact.prefix)
      if (debug) {
        this.logger.debug(
          { prefix: fact.prefix, lsn: formatLsn(fact.lsn), bytes: fact.value.byteLength },
          'fact read',
        )
      }
    }
  }

  private async shutdown(): Promise<void> {
    this.role = 'stopping'
    this.logger.info({ inFlight: this.sink.inFlight }, 'stopping: draining in-flight facts')
    const drained = await this.sink.drain(this.config.shutdownTimeoutMs)
    if (!drained)
      this.logger.warn(
        { inFlight: this.sink.inFlight },
        'drain timed out; undelivered facts will be replayed',
      )
    this.session?.stream?.acknowledge(this.sink.deliveredLsn)
    await this.closeSession()
    await this.sink.close()
    this.role = 'stopped'
    this.logger.info({ confirmedLsn: formatLsn(this.sink.deliveredLsn) }, 'stopped')
  }
}

function isHalting(error: unknown): boolean {
  return error instanceof Error && error.name === 'SinkHaltedError'
}
