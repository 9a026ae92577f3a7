import { ReplicationConnection } from '@factlib/wal'
import type { Logger } from 'pino'
import { type FailoverSafety, readFailoverSafety } from './failover-safety.js'
import type { RelayMetrics } from './metrics.js'
import { readSlotStatus } from './slot-status.js'

/**
 * Keeps owlpost_slot_lag_bytes and owlpost_slot_failover_safe current on a connection of its
 * own (the streaming one is busy); `onFailoverSafety` hears the latter for /ready.
 */
export function startLagPoller(
  options: { databaseUrl: string; slot: string; publication: string; intervalMs: number },
  metrics: RelayMetrics,
  logger: Logger,
  onFailoverSafety?: (safety: FailoverSafety) => void,
): () => Promise<void> {
  let connection: ReplicationConnection | undefined
  let stopped = false
  const poll = async () => {
    try {
      connection ??= await ReplicationConnection.connect(options.databaseUrl)
      const status = await readSlotStatus(connection, options)
      if (status.lagBytes !== undefined) metrics.slotLagBytes.set(status.lagBytes)
      const safety = await readFailoverSafety(connection, options.slot)
      metrics.slotFailoverSafe.set(safety.safe ? 1 : 0)
      onFailoverSafety?.(safety)
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
