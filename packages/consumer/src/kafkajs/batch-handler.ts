import type { Logger } from '@factlib/wal'
import type { EachBatchPayload, KafkaMessage } from 'kafkajs'
import type { ConcurrencyLimit } from '../concurrency-limit.js'
import type { FactRecord } from '../fact-record.js'
import { lanesByKey, runLanes } from '../key-lanes.js'
import { PartitionProgress } from '../partition-progress.js'
import { processRecord, type RecordProcessor } from '../process-record.js'
import { headersAsText } from '../record-headers.js'

export interface BatchHandlerSettings<Tx> {
  readonly processor: RecordProcessor<Tx>
  /** Shared by every partition: bounds the transactions open at once. */
  readonly limit: ConcurrencyLimit
  /** How often to heartbeat while a batch runs, which is also how soon a rebalance is noticed. */
  readonly heartbeatIntervalMs: number
  readonly logger: Logger
  readonly stopping: () => boolean
}

/**
 * kafkajs's `eachBatch` for facts: the batch's keys run side by side, each key's records in
 * order, and an offset is resolved (so committed) only once it and every record before it in the
 * partition are done: applied and committed in the store, dead-lettered, or without a handler.
 *
 * A rebalance is noticed by the heartbeat: from then on no record is started, those running
 * finish (their transactions commit or roll back), and the rebalance error is thrown back to
 * kafkajs, which commits what was resolved and rejoins. What was not resolved is read again by
 * the partition's next owner, and the marks skip whatever of it had been applied.
 */
export function batchHandler<Tx>(settings: BatchHandlerSettings<Tx>) {
  return async (payload: EachBatchPayload): Promise<void> => {
    const { batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, isRunning, isStale } = payload
    if (batch.messages.length === 0) return
    const progress = new PartitionProgress(batch.messages.map((message) => message.offset))
    let revoked: unknown
    const shouldStop = () => revoked !== undefined || settings.stopping() || !isRunning() || isStale()
    const beat = setInterval(() => {
      heartbeat().catch((error: unknown) => {
        revoked ??= error
      })
    }, settings.heartbeatIntervalMs)
    try {
      const records = batch.messages.map((message) => factRecordOf(batch.topic, batch.partition, message))
      await runLanes(lanesByKey(records), settings.limit, shouldStop, async (record) => {
        const outcome = await processRecord(settings.processor, record, shouldStop)
        if (outcome === 'abandoned') return false
        const committable = progress.done(record.offset)
        if (committable !== undefined) resolveOffset(committable)
        return true
      })
    } finally {
      clearInterval(beat)
    }
    if (revoked !== undefined) {
      settings.logger.info(
        { topic: batch.topic, partition: batch.partition, committable: progress.committable },
        'rebalance: in-flight facts finished, the rest of the batch is left to the next owner',
      )
      throw revoked
    }
    // Only resolved offsets are committed: all of the batch, or its finished start when stopping.
    await commitOffsetsIfNecessary()
  }
}

function factRecordOf(topic: string, partition: number, message: KafkaMessage): FactRecord {
  return {
    topic,
    partition,
    offset: message.offset,
    key: message.key,
    value: message.value,
    headers: headersAsText(message.headers),
  }
}
