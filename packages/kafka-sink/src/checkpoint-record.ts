import { formatLsn, InvalidLsnError, parseLsn } from '@factlib/wal'
import { KafkaSinkConfigError, SinkHaltedError } from './errors.js'
import type { OutgoingRecord, TransactionalProducerClient } from './producer-client.js'
import type { ExactlyOnceOptions } from './sink-types.js'

// The exactly-once sink's checkpoint: the end LSN of the last PostgreSQL transaction a Kafka
// transaction holds, as `X/Y` text, keyed by slot in a compacted topic, committed with the facts.

/** The exactly-once options with their defaults, checked; throws KafkaSinkConfigError naming the field. */
export function exactlyOnceSettings(eos: ExactlyOnceOptions | undefined): Required<ExactlyOnceOptions> {
  if (!eos) throw new KafkaSinkConfigError('exactlyOnce', "deliveryGuarantee 'exactly-once' needs it")
  for (const name of ['transactionalId', 'checkpointTopic', 'checkpointKey'] as const) {
    if (!eos[name]) throw new KafkaSinkConfigError(`exactlyOnce.${name}`, 'must not be empty')
  }
  const settings = {
    commitIntervalMs: 100,
    maxFacts: 10_000,
    transactionTimeoutMs: 60_000,
    idleCheckpointMs: 1_000,
    ...eos,
  }
  for (const name of ['commitIntervalMs', 'maxFacts', 'transactionTimeoutMs', 'idleCheckpointMs'] as const) {
    const value = settings[name]
    if (!(Number.isFinite(value) && value > 0)) {
      throw new KafkaSinkConfigError(`exactlyOnce.${name}`, `must be a positive number, got ${value}`)
    }
  }
  return settings
}

/** The record that commits `checkpoint` with the facts of its Kafka transaction. */
export function checkpointRecord(eos: Required<ExactlyOnceOptions>, checkpoint: bigint): OutgoingRecord {
  return {
    topic: eos.checkpointTopic,
    key: Buffer.from(eos.checkpointKey, 'utf8'),
    value: Buffer.from(formatLsn(checkpoint), 'utf8'),
    headers: {},
  }
}

/** The last committed checkpoint (read_committed), 0 when there is none; halts on a record that is not an LSN. */
export async function readCheckpoint(
  client: TransactionalProducerClient,
  eos: Required<ExactlyOnceOptions>,
): Promise<bigint> {
  const value = await client.readLatestCommitted(eos.checkpointTopic, eos.checkpointKey)
  if (value === undefined) return 0n
  try {
    return parseLsn(value.toString('utf8'))
  } catch (error) {
    if (!(error instanceof InvalidLsnError)) throw error
    throw new SinkHaltedError(
      `the checkpoint record for key '${eos.checkpointKey}' in '${eos.checkpointTopic}' ` +
        `is not an LSN: '${value.toString('utf8').slice(0, 40)}'`,
      0n,
      eos.checkpointTopic,
    )
  }
}
