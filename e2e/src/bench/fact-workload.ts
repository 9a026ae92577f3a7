import { createEnvelope, encodeEnvelope, type FactInput } from '@factlib/core'

/** The bench's facts: two aggregate types (two topics), 1,000 ids each, envelopes of a fixed size. */
export const aggregateTypes = ['order', 'payment'] as const
export const aggregateIds = 1_000

export interface Workload {
  /** Encoded envelope size every fact has, in bytes. */
  readonly envelopeBytes: number
  /** The n-th fact of the workload (deterministic aggregate and id; payload filler). */
  fact(n: number): FactInput
}

/**
 * Facts whose encoded envelope (id, timestamps, aggregate, event type, payload) is exactly
 * `envelopeBytes` long, so "a fact of 200 bytes" means 200 bytes in the WAL message and in Kafka.
 */
export function createWorkload(envelopeBytes: number): Workload {
  const shape = (n: number, payloadBytes: number): FactInput => {
    const aggregateType = aggregateTypes[n % aggregateTypes.length]!
    return {
      aggregateType,
      aggregateId: `${aggregateType}-${String(Math.floor(n / aggregateTypes.length) % aggregateIds).padStart(4, '0')}`,
      eventType: `${aggregateType}.updated`,
      payload: new Uint8Array(payloadBytes).fill(0x61),
      metadata: {},
    }
  }
  const encodedSize = (payloadBytes: number) =>
    encodeEnvelope(createEnvelope(shape(0, payloadBytes))).byteLength
  let payloadBytes = Math.max(0, envelopeBytes - encodedSize(0))
  // The payload length prefix is a varint, so adjust until the whole envelope fits exactly.
  while (payloadBytes > 0 && encodedSize(payloadBytes) > envelopeBytes) payloadBytes--
  const actual = encodedSize(payloadBytes)
  return {
    envelopeBytes: actual,
    fact: (n) => shape(n, payloadBytes),
  }
}
