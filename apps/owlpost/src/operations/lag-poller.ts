import { parseLsn, pause, ReplicationConnection } from '@factlib/wal'
import type { Logger } from 'pino'
import { type EmitPrivilege, readEmitPrivilege, revokeStatement } from './emit-privilege.js'
import { type FailoverSafety, readFailoverSafety } from './failover-safety.js'
import type { RelayMetrics } from './metrics.js'
import { readSlotStatus } from './slot-status.js'

export interface LagPollerOptions {
  databaseUrl: string
  slot: string
  publication: string
  intervalMs: number
}

/** A poll that takes longer than this is abandoned: its connection is closed and opened afresh. */
const minimumPollDeadlineMs = 30_000

/**
 * Keeps owlpost_slot_lag_bytes, owlpost_slot_retained_wal_bytes, owlpost_slot_wal_keep_size_bytes,
 * owlpost_postgres_server_version_num, owlpost_slot_failover_safe and owlpost_emit_public_executable
 * current on a connection of its own (the streaming one is busy); `onFailoverSafety` hears the
 * failover safety for /ready. One poll at a time, on at most one connection: the next poll starts
 * an interval after the last one ended, so a slow server slows the polls instead of piling up
 * connections, and one that never answers has its connection closed at the poll's deadline.
 */
export function startLagPoller(
  options: LagPollerOptions,
  metrics: RelayMetrics,
  logger: Logger,
  onFailoverSafety?: (safety: FailoverSafety) => void,
): () => Promise<void> {
  const stop = new AbortController()
  let connection: ReplicationConnection | undefined
  let warnedPublic = false
  const deadlineMs = Math.max(options.intervalMs, minimumPollDeadlineMs)

  const noteEmitPrivilege = (privilege: EmitPrivilege) => {
    metrics.emitPublicExecutable.set(privilege.publicCanExecute ? 1 : 0)
    if (privilege.publicCanExecute && !warnedPublic) {
      warnedPublic = true
      logger.warn(
        { revoke: revokeStatement(privilege) },
        'any role that can log in may emit facts: PUBLIC can execute pg_logical_emit_message; revoke it and grant it to the producer roles',
      )
    }
  }

  const poll = async (abandoned: () => boolean) => {
    if (!connection) {
      const opened = await ReplicationConnection.connect({
        connectionString: options.databaseUrl,
        applicationName: 'owlpost-lag',
      })
      // A connection that opened after its poll was given up on is closed, never kept beside a new one.
      if (abandoned()) {
        await opened.close().catch(() => undefined)
        return
      }
      connection = opened
    }
    const status = await readSlotStatus(connection, options)
    if (status.lagBytes !== undefined) metrics.slotLagBytes.set(status.lagBytes)
    if (status.restartLsn) {
      metrics.slotRetainedWalBytes.set(Number(parseLsn(status.currentWalLsn) - parseLsn(status.restartLsn)))
    }
    metrics.postgresServerVersion.set(connection.serverVersion)
    const keep = await connection.query(
      `select pg_size_bytes(current_setting('max_slot_wal_keep_size'))::text`,
    )
    metrics.slotWalKeepSizeBytes.set(Number(keep.rows[0]?.[0] ?? -1))
    const safety = await readFailoverSafety(connection, options.slot)
    metrics.slotFailoverSafe.set(safety.safe ? 1 : 0)
    onFailoverSafety?.(safety)
    noteEmitPrivilege(await readEmitPrivilege(connection))
  }

  const pollWithin = async () => {
    let timer: NodeJS.Timeout | undefined
    let gaveUp = false
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), deadlineMs)
    })
    try {
      const outcome = await Promise.race([poll(() => gaveUp).then(() => 'done' as const), late])
      if (outcome === 'late') {
        gaveUp = true
        throw new Error(`the poll took longer than ${deadlineMs} ms`)
      }
    } catch (error) {
      logger.debug({ err: error }, 'slot lag poll failed')
      const failed = connection
      connection = undefined
      // Closing ends the late poll's query too: it fails, and nothing waits for it.
      await failed?.close().catch(() => undefined)
    } finally {
      clearTimeout(timer)
    }
  }

  const loop = (async () => {
    while (!stop.signal.aborted) {
      await pollWithin()
      await pause(options.intervalMs, stop.signal)
    }
  })()

  return async () => {
    stop.abort()
    // Closing first ends a poll waiting on a slow server, so stopping does not wait for it.
    const open = connection
    connection = undefined
    await open?.close().catch(() => undefined)
    await loop
    // A poll that was connecting when asked to stop may have kept its connection.
    await (connection as ReplicationConnection | undefined)?.close().catch(() => undefined)
  }
}
