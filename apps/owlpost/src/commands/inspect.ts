import { ReplicationConnection } from '@factlib/wal'
import type { OwlpostConfig } from '../config/load-config.js'
import { type EmitPrivilege, readEmitPrivilege, revokeStatement } from '../operations/emit-privilege.js'
import { type FailoverSafety, readFailoverSafety } from '../operations/failover-safety.js'
import { createLogger } from '../operations/logger.js'
import { readSlotStatus, type SlotStatus } from '../operations/slot-status.js'
import { kafkaClient } from '../slot-gap/kafka-client.js'
import { readRelayedPosition } from '../slot-gap/kafka-evidence.js'
import { type SlotGap, slotGap } from '../slot-gap/slot-gap.js'

export interface InspectReport extends SlotStatus {
  failover: FailoverSafety
  /** Whether any role may emit facts, and when so the statement that closes it. */
  emitPrivilege: EmitPrivilege & { revoke?: string }
  /**
   * For a missing slot: the WAL a new slot would skip, judged as `owlpost` would before creating
   * it; null when Kafka shows no earlier run; a string when Kafka could not be asked.
   */
  gap?: SlotGap | null | string
}

/**
 * `owlpost inspect`: the slot, the publication, the confirmed position, the lag and whether the
 * slot survives failover, as JSON. When the slot is missing and the Kafka settings are there, it
 * also reports what `owlpost` would refuse to skip.
 */
export async function inspectSlot(options: {
  databaseUrl: string
  slot: string
  publication: string
  /** The full configuration when the environment has it: needed to look for evidence in Kafka. */
  config?: OwlpostConfig
}): Promise<InspectReport> {
  const connection = await ReplicationConnection.connect({
    connectionString: options.databaseUrl,
    applicationName: 'owlpost-inspect',
  })
  try {
    const status = await readSlotStatus(connection, options)
    const privilege = await readEmitPrivilege(connection)
    const report: InspectReport = {
      ...status,
      failover: await readFailoverSafety(connection, options.slot),
      emitPrivilege: privilege.publicCanExecute
        ? { ...privilege, revoke: revokeStatement(privilege) }
        : privilege,
    }
    if (status.exists) return report
    if (!options.config) {
      return {
        ...report,
        gap: 'not checked: KAFKA_BROKERS and WAL_PREFIX are needed to look for an earlier run',
      }
    }
    const system = await connection.identifySystem()
    const relayed = await readRelayedPosition(
      kafkaClient(options.config.kafka, 'inspect'),
      {
        prefixes: options.config.prefixes,
        slot: options.slot,
        checkpointTopic: options.config.kafka.exactlyOnce?.checkpointTopic,
      },
      createLogger('silent'),
    )
    const gap = slotGap(
      {
        slot: options.slot,
        serverVersion: connection.serverVersion,
        systemId: system.systemId,
        timeline: system.timeline,
        currentWalLsn: system.xlogPos,
        confirmedBefore: 0n,
      },
      relayed,
    )
    return { ...report, gap: gap ?? null }
  } finally {
    await connection.close().catch(() => undefined)
  }
}
