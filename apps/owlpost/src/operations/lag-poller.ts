import { ReplicationConnection } from '@factlib/wal'
import type { Logger } from 'pino'
import type { RelayMetrics } from './metrics.js'
import { readSlotStatus } from './slot-status.js'

/** Keeps owlpost_slot_lag_bytes current on a connection of its own (the streaming one is busy). */
export function startLagPoller(
  options: { databaseUrl: string; slot: string; publication: string; intervalMs: number },
  metrics: RelayMetrics,
  logger: Logger,
): () => Promise<void> {
  let connection: ReplicationConnection | undefined
  let stopped = false
  const poll = async () => {
    try {
      connection ??= await ReplicationConnection.connect(options.databaseUrl)
      const status = await readSlotStatus(connection, options)
      if (status.lagBytes !== undefined) metrics.slotLagBytes.set(status.lagBytes)
    } catch (error) {
      logger.debug({ err: error }, 'slot lag poll failed')
      await connection?.close().catch(() => undefined)
      connection = undefined
    }
  }
  const timer = setInterval(() => {
    if (!stopped) void poll()
  }, options.intervalMs)
  timer.unref()
  void poll()
  return async () => {
    stopped = true
    clearInterval(timer)
    await connection?.close().catch(() => undefined)
  }
}
