import { randomBytes } from 'node:crypto'
import { createEnvelope, encodeEnvelope, type TraceInfo } from '@factlib/core'
import type { SinkFact } from '../sink-types.js'

export interface SampleFact {
  fact: SinkFact
  id: string
  key: string
  aggregateType: string
}

/** A real protobuf envelope as a service would emit it, wrapped as the relay hands it over. */
export function sampleFact(options: {
  prefix: string
  lsn: bigint
  aggregateType?: string
  key: string
  payloadBytes?: number
  /** Random (incompressible) payload instead of a repeated byte. */
  randomPayload?: boolean
  traceInfo?: TraceInfo
  metadata?: Record<string, string>
}): SampleFact {
  const aggregateType = options.aggregateType ?? 'order'
  const envelope = createEnvelope({
    aggregateType,
    aggregateId: options.key,
    eventType: 'order.placed',
    payload: options.randomPayload
      ? new Uint8Array(randomBytes(options.payloadBytes ?? 16))
      : new Uint8Array(options.payloadBytes ?? 16).fill(7),
    metadata: options.metadata ?? {},
    ...(options.traceInfo ? { traceInfo: options.traceInfo } : {}),
  })
  return {
    fact: { prefix: options.prefix, lsn: options.lsn, value: encodeEnvelope(envelope) },
    id: envelope.id,
    key: options.key,
    aggregateType,
  }
}
