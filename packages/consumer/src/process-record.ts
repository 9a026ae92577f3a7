/// <reference types="node" preserve="true" />
import { decodeEnvelope, type FactEnvelope } from '@factlib/core/wire'
import { type BackoffSettings, backoffDelay, type Logger, pause } from '@factlib/wal'
import { type DeadLetterRecord, deadLetterRecord } from './dead-letter.js'
import { dedupeKeyOf, prefixOf } from './dedupe-key.js'
import { FactHandlerError } from './errors.js'
import type { HandlerTable } from './fact-handlers.js'
import type { FactRecord } from './fact-record.js'
import type { FactStore } from './fact-store.js'
import { withHandlerSpan } from './opentelemetry/handler-span.js'
import { factRecordHeaders } from './record-headers.js'

/** What became of a record. `abandoned`: stopped before it was done (a rebalance, `stop()`); it will be read again. */
export type RecordOutcome = 'applied' | 'already-applied' | 'unhandled' | 'dead-lettered' | 'abandoned'

/** Callbacks for metrics and tests; they must not throw. */
export interface ConsumerHooks {
  /** A fact's handler ran and its transaction committed. */
  applied?(record: FactRecord, envelope: FactEnvelope): void
  /** A fact was marked applied already (a redelivery) and skipped. */
  alreadyApplied?(record: FactRecord, envelope: FactEnvelope): void
  /** A record went to the dead-letter topic. */
  deadLettered?(record: FactRecord, reason: string): void
  /** A handler or its transaction failed; the consumer waits `retryInMs` and tries again. */
  retrying?(error: FactHandlerError, retryInMs: number): void
}

export interface RecordProcessor<Tx> {
  readonly consumerGroup: string
  readonly handlers: HandlerTable<Tx>
  readonly store: FactStore<Tx>
  readonly deadLetterTopic: (record: FactRecord) => string
  readonly sendDeadLetter: (record: DeadLetterRecord) => Promise<void>
  readonly tracing: boolean
  readonly retry: BackoffSettings
  readonly logger: Logger
  readonly hooks: ConsumerHooks
  /** Aborts the pauses between retries when the consumer stops. */
  readonly signal: AbortSignal
}

/**
 * Takes one record to its end: decoded, checked, applied once through the store, or sent to the
 * dead-letter topic. A handler that fails is retried with backoff until it succeeds or
 * `shouldStop()` (the partition was revoked, the consumer is stopping): a fact is never skipped
 * because its handler failed.
 */
export async function processRecord<Tx>(
  processor: RecordProcessor<Tx>,
  record: FactRecord,
  shouldStop: () => boolean,
): Promise<RecordOutcome> {
  if (record.value === null)
    return deadLetter(processor, record, 'record has no value', undefined, shouldStop)
  let envelope: FactEnvelope
  try {
    envelope = decodeEnvelope(record.value)
  } catch (error) {
    return deadLetter(
      processor,
      record,
      `envelope does not decode: ${messageOf(error)}`,
      undefined,
      shouldStop,
    )
  }
  const prefix = prefixOf(record.topic, envelope.aggregateType)
  const handler = processor.handlers.find(envelope.aggregateType, envelope.eventType)
  if (!handler) {
    processor.logger.debug(
      {
        topic: record.topic,
        partition: record.partition,
        offset: record.offset,
        eventType: envelope.eventType,
      },
      'no handler for this fact; skipped',
    )
    return 'unhandled'
  }
  const decoded = handler.decode(envelope)
  if (!decoded.success) return deadLetter(processor, record, decoded.error.message, prefix, shouldStop)

  const headers = factRecordHeaders(record.headers)
  const { key } = dedupeKeyOf({
    topic: record.topic,
    partition: record.partition,
    offset: record.offset,
    eventId: envelope.id || headers.eventId,
    aggregateType: envelope.aggregateType,
    lsn: headers.lsn,
  })
  for (let attempt = 0; ; attempt++) {
    if (attempt > 0 && shouldStop()) return 'abandoned'
    try {
      const outcome = await withHandlerSpan(
        processor.tracing,
        record,
        envelope.eventType,
        headers.traceparent,
        () =>
          processor.store.applyOnce(processor.consumerGroup, key, (tx) =>
            Promise.resolve(handler.run({ fact: decoded.fact, envelope, headers, record, tx })),
          ),
      )
      if (outcome === 'applied') processor.hooks.applied?.(record, envelope)
      else processor.hooks.alreadyApplied?.(record, envelope)
      return outcome
    } catch (cause) {
      const error = new FactHandlerError(record, envelope.eventType, attempt + 1, cause)
      const delay = backoffDelay(attempt, processor.retry)
      processor.logger.error({ err: error, factKey: key, retryInMs: delay }, 'fact handler failed; retrying')
      processor.hooks.retrying?.(error, delay)
      await pause(delay, processor.signal)
    }
  }
}

async function deadLetter<Tx>(
  processor: RecordProcessor<Tx>,
  record: FactRecord,
  reason: string,
  prefix: string | undefined,
  shouldStop: () => boolean,
): Promise<RecordOutcome> {
  const topic = processor.deadLetterTopic(record)
  const letter = deadLetterRecord(record, reason, topic, processor.consumerGroup, prefix)
  // Kafka being away is no reason to move on without the dead letter: retried like a handler.
  for (let attempt = 0; ; attempt++) {
    if (attempt > 0 && shouldStop()) return 'abandoned'
    try {
      await processor.sendDeadLetter(letter)
      break
    } catch (error) {
      const delay = backoffDelay(attempt, processor.retry)
      processor.logger.warn(
        { err: error, deadLetterTopic: topic, retryInMs: delay },
        'dead letter not delivered; retrying',
      )
      await pause(delay, processor.signal)
    }
  }
  processor.logger.error(
    {
      topic: record.topic,
      partition: record.partition,
      offset: record.offset,
      deadLetterTopic: topic,
      reason,
    },
    'record dead-lettered',
  )
  processor.hooks.deadLettered?.(record, reason)
  return 'dead-lettered'
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
