import { type MissingSlotGuard, SlotRecreateRefusedError } from '@factlib/relay'
import type { Kafka } from 'kafkajs'
import type { Logger } from 'pino'
import { type RelayedPosition, readRelayedPosition } from './kafka-evidence.js'
import { slotGap } from './slot-gap.js'

/**
 * owlpost's answer when its slot is missing: create it only when nothing says it ran before.
 * Evidence is the exactly-once checkpoint or the newest LSN header in Kafka, or a position this
 * process confirmed itself. With evidence it refuses (the relay halts, owlpost exits 1) and says
 * which WAL may be lost and why, unless ALLOW_SLOT_RECREATE accepts the gap.
 */
export function missingSlotGuard(options: {
  kafka: () => Kafka
  prefixes: readonly string[]
  /** The exactly-once checkpoint topic when EOS_CHECKPOINT_TOPIC names one of its own. */
  checkpointTopic?: string | undefined
  allowRecreate: boolean
  logger: Logger
}): MissingSlotGuard {
  return async (missing) => {
    let relayed: RelayedPosition | undefined = await readRelayedPosition(
      options.kafka(),
      { prefixes: options.prefixes, slot: missing.slot, checkpointTopic: options.checkpointTopic },
      options.logger,
    )
    if (missing.confirmedBefore > (relayed?.lsn ?? 0n)) {
      relayed = {
        lsn: missing.confirmedBefore,
        source: 'this owlpost process confirmed it to PostgreSQL before the slot went missing',
      }
    }
    const gap = slotGap(missing, relayed)
    if (!gap) {
      options.logger.info(
        { slot: missing.slot },
        'slot is missing and nothing says it was used before; creating it',
      )
      return
    }
    if (options.allowRecreate) {
      options.logger.warn({ gap }, `ALLOW_SLOT_RECREATE=true accepts the gap: ${gap.message}`)
      return
    }
    options.logger.error({ gap }, gap.message)
    throw new SlotRecreateRefusedError(gap.message)
  }
}
