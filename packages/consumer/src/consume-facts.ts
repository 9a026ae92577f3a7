import { silentLogger } from '@factlib/wal'
import { ConcurrencyLimit } from './concurrency-limit.js'
import { type ConsumeFactsOptions, resolveOptions } from './consumer-options.js'
import { HandlerTable, handlerBuilder } from './fact-handlers.js'
import { batchHandler } from './kafkajs/batch-handler.js'
import { DeadLetterProducer } from './kafkajs/dead-letter-producer.js'
import type { RecordProcessor } from './process-record.js'

/** A running consumer. */
export interface FactConsumer {
  /** Stops fetching, lets the facts in flight finish, commits their offsets and leaves the group. */
  stop(): Promise<void>
  /** Deletes marks older than `marks.retentionMs` now (it also runs every `marks.pruneIntervalMs`). */
  pruneMarks(): Promise<number>
}

/** How many marks one prune statement deletes at most, so a large backlog never holds a long lock. */
const pruneBatch = 10_000

/**
 * Consumes facts from Kafka and applies each once: the handler runs in a store transaction
 * that also marks the fact applied, and a copy of a fact already marked (owlpost's at-least-once
 * redelivery, a replay after a crash or a rebalance) is skipped. Records that do not decode, or
 * whose payload fails its fact definition, go to the dead-letter topic. Resolves once the
 * consumer has joined its group and runs.
 */
export async function consumeFacts<Tx>(options: ConsumeFactsOptions<Tx>): Promise<FactConsumer> {
  const settings = resolveOptions(options)
  const handlers = new HandlerTable(options.handlers(handlerBuilder<Tx>()))
  const logger = options.logger ?? silentLogger
  const { store, groupId } = options
  await store.prepare()

  const stopController = new AbortController()
  const deadLetters = new DeadLetterProducer(options.kafka)
  const processor: RecordProcessor<Tx> = {
    consumerGroup: groupId,
    handlers,
    store,
    deadLetterTopic: settings.deadLetterTopic,
    sendDeadLetter: (record) => deadLetters.send(record),
    tracing: options.tracing !== false,
    retry: settings.retry,
    logger,
    hooks: options.hooks ?? {},
    signal: stopController.signal,
  }
  const consumer = options.kafka.consumer({
    groupId,
    sessionTimeout: settings.sessionTimeoutMs,
    heartbeatInterval: settings.heartbeatIntervalMs,
    // A rebalance waits this long for members to finish their batches and rejoin.
    rebalanceTimeout: Math.max(60_000, settings.sessionTimeoutMs),
  })
  const limit = new ConcurrencyLimit(settings.maxInFlight)
  await consumer.connect()
  try {
    await consumer.subscribe({ ...settings.subscription, fromBeginning: settings.fromBeginning })
    await consumer.run({
      autoCommit: true,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: settings.maxInFlight,
      eachBatch: batchHandler({
        processor,
        limit,
        heartbeatIntervalMs: settings.heartbeatIntervalMs,
        logger,
        stopping: () => stopController.signal.aborted,
      }),
    })
  } catch (error) {
    await consumer.disconnect().catch(() => {})
    throw error
  }
  logger.info({ groupId, store: store.description, handlers: handlers.size }, 'consuming facts')

  const pruneMarks = async () => {
    let total = 0
    for (;;) {
      const deleted = await store.prune(groupId, settings.retentionMs, pruneBatch)
      total += deleted
      if (deleted < pruneBatch || stopController.signal.aborted) return total
    }
  }
  const pruning = setInterval(() => {
    pruneMarks().then(
      (deleted) => logger.debug({ deleted }, 'pruned old marks'),
      (error: unknown) => logger.warn({ err: error }, 'pruning old marks failed; tried again later'),
    )
  }, settings.pruneIntervalMs)
  pruning.unref()

  let stopped: Promise<void> | undefined
  return {
    stop() {
      stopped ??= (async () => {
        clearInterval(pruning)
        stopController.abort()
        try {
          await consumer.disconnect()
        } finally {
          await deadLetters.close()
        }
      })()
      return stopped
    },
    pruneMarks,
  }
}
