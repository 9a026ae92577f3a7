import { formatLsn, InvalidLsnError, parseLsn } from '@factlib/wal'
import { KafkaSinkConfigError, SinkHaltedError } from './errors.js'
import type { OutgoingRecord, TransactionalProducerClient } from './producer-client.js'
import type { ExactlyOnceOptions, SinkCheckpoint } from './sink-types.js'

// The exactly-once sink's checkpoint, keyed by slot in a compacted topic, committed with the facts.
// Its value is text in one of two forms:
// - `X/Y`: the end LSN of the last whole PostgreSQL transaction the Kafka transactions hold. The
//   only form before checkpoints could lie inside a transaction, and still the one written after
//   every whole transaction, so older code reads it.
// - `X/Y;commit=C/D;fact=E/F`: also the first facts of the next PostgreSQL transaction, the one
//   whose commit record is at C/D, up to and including the fact (logical message) at E/F; written
//   when a transaction too large for one Kafka transaction is split. Older code does not read it
//   (it is not an LSN) and halts with SinkHaltedError, which is what it must do: resuming from the
//   end LSN alone would commit those facts a second time.

const insidePattern = /^([^;]+);commit=([^;]+);fact=([^;]+)$/

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

/** The checkpoint record's value (see the forms above). */
export function formatCheckpoint(checkpoint: SinkCheckpoint): string {
  const end = formatLsn(checkpoint.endLsn)
  const inside = checkpoint.inside
  if (!inside) return end
  return `${end};commit=${formatLsn(inside.commitLsn)};fact=${formatLsn(inside.factLsn)}`
}

/** Reads either form; throws InvalidLsnError on anything else. */
export function parseCheckpoint(text: string): SinkCheckpoint {
  const match = insidePattern.exec(text)
  if (!match) return { endLsn: parseLsn(text) }
  const checkpoint = {
    endLsn: parseLsn(match[1]!),
    inside: { commitLsn: parseLsn(match[2]!), factLsn: parseLsn(match[3]!) },
  }
  // A transaction's facts lie before its commit record, which lies after the previous end.
  const { commitLsn, factLsn } = checkpoint.inside
  if (commitLsn < checkpoint.endLsn || factLsn >= commitLsn) throw new InvalidLsnError(text)
  return checkpoint
}

/** The record that commits `checkpoint` with the facts of its Kafka transaction. */
export function checkpointRecord(
  eos: Required<ExactlyOnceOptions>,
  checkpoint: SinkCheckpoint,
): OutgoingRecord {
  return {
    topic: eos.checkpointTopic,
    key: Buffer.from(eos.checkpointKey, 'utf8'),
    value: Buffer.from(formatCheckpoint(checkpoint), 'utf8'),
    headers: {},
  }
}

/** The last committed checkpoint (read_committed), 0 when there is none; halts on a record that is not one. */
export async function readCheckpoint(
  client: TransactionalProducerClient,
  eos: Required<ExactlyOnceOptions>,
): Promise<SinkCheckpoint> {
  const value = await client.readLatestCommitted(eos.checkpointTopic, eos.checkpointKey)
  if (value === undefined) return { endLsn: 0n }
  try {
    return parseCheckpoint(value.toString('utf8'))
  } catch (error) {
    if (!(error instanceof InvalidLsnError)) throw error
    throw new SinkHaltedError(
      `the checkpoint record for key '${eos.checkpointKey}' in '${eos.checkpointTopic}' ` +
        `is not a checkpoint: '${value.toString('utf8').slice(0, 80)}'`,
      0n,
      eos.checkpointTopic,
    )
  }
}
