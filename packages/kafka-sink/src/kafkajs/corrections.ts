import type { Logger } from '../logger.js'

// The corrections to kafkajs by name, and the report the sink logs when it connects. patches.ts
// makes them and says which are in effect (kafkajsCorrections); owlpost reports them too.

/** The corrections, by the names logs, metrics and health reports use; see the README for each. */
export const kafkajsCorrectionNames = [
  'request-queue-timer',
  'encoder-buffers',
  'transaction-coordinator',
  'record-encoder',
  'batch-crc32c',
  'murmur2-key-hash',
  'partition-grouping',
  'produce-request',
  'request-frame',
  'unsent-partitions',
] as const

export type KafkajsCorrectionName = (typeof kafkajsCorrectionNames)[number]

/** Whether one correction to kafkajs is in effect in this process, and if not, why. */
export interface KafkajsCorrection {
  name: KafkajsCorrectionName
  applied: boolean
  reason?: string
}

/**
 * Logs which corrections are in effect (at debug), and a warning for each one that is not: kafkajs
 * then works as released, with the garbage, the slower checksum or hash, or the Node 24 timer
 * warning that correction removes.
 */
export function reportKafkajsCorrections(logger: Logger, corrections: readonly KafkajsCorrection[]): void {
  logger.debug(
    { kafkajsCorrections: Object.fromEntries(corrections.map(({ name, applied }) => [name, applied])) },
    'kafkajs corrections',
  )
  for (const { name, applied, reason } of corrections) {
    if (!applied) {
      logger.warn({ correction: name, reason }, 'kafkajs correction not in effect; kafkajs works as released')
    }
  }
}
