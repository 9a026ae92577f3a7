import {
  encodeEnvelope,
  type FactEnvelope,
  type FactInput,
  factHeaders,
  readEnvelopeHeader,
  topicFor,
  uuidV7,
} from '@factlib/core/wire'
import { formatLsn } from '@factlib/wal'
import type { Message } from 'kafkajs'

/** An envelope as a producer makes it; `id: ''` makes one like the Python client's. */
export function envelopeOf(fact: FactInput, id: string = uuidV7()): FactEnvelope {
  return { metadata: {}, ...fact, id, createdAt: BigInt(Date.now()) * 1_000_000n }
}

/** The Kafka record owlpost writes for a fact at `lsn`: topic, key, value untouched, Go headers. */
export function owlpostRecord(
  prefix: string,
  envelope: FactEnvelope,
  lsn: bigint,
): { topic: string; message: Message } {
  const value = Buffer.from(encodeEnvelope(envelope))
  const header = readEnvelopeHeader(value)
  return {
    topic: topicFor(prefix, envelope.aggregateType),
    message: { key: envelope.aggregateId, value, headers: factHeaders(header, formatLsn(lsn)) },
  }
}
