import { ProduceFailure, type ProduceFailureKind } from '../producer-client.js'

// How a kafkajs error becomes a ProduceFailure kind, and so what the sink does with it. Only the
// answers below are not retried as they are: every other error, and in particular every error
// Kafka itself calls retriable (leader moving, NOT_ENOUGH_REPLICAS while the ISR is short,
// timeouts, coordinator moving), is transient and retried forever, never dead-lettered.
// error-classification.test.ts holds Kafka 4.1's own list of retriable errors.

/** Broker answers that reject a record for good: retrying the same bytes can never succeed. */
export const recordRejections = new Set([
  'MESSAGE_TOO_LARGE',
  'RECORD_LIST_TOO_LARGE',
  'INVALID_RECORD',
  'INVALID_TOPIC_EXCEPTION',
  'INVALID_TIMESTAMP',
  'POLICY_VIOLATION',
])

/** Answers meaning the broker lost track of this producer's sequence numbers. */
export const producerStateErrors = new Set([
  'OUT_OF_ORDER_SEQUENCE_NUMBER',
  'DUPLICATE_SEQUENCE_NUMBER',
  'INVALID_PRODUCER_EPOCH',
  'UNKNOWN_PRODUCER_ID',
  'INVALID_PRODUCER_ID_MAPPING',
])

/**
 * Answers meaning this transactional producer was fenced: another one with the same transactional
 * id initialised after it, or its transaction outlived transaction.timeout.ms. kafkajs 2.2.4 does
 * not know PRODUCER_FENCED (90) by name; newer brokers answer old request versions with
 * INVALID_PRODUCER_EPOCH instead.
 */
export const fencedErrors = new Set([
  'PRODUCER_FENCED',
  'TRANSACTION_COORDINATOR_FENCED',
  'TRANSACTIONAL_ID_AUTHORIZATION_FAILED',
])
const producerFencedCode = 90

/** Error types along the cause chain: kafkajs wraps the broker's error when it gives up retrying. */
export function errorTypes(error: unknown): string[] {
  const types: string[] = []
  let current: unknown = error
  for (let depth = 0; depth < 8 && current && typeof current === 'object'; depth++) {
    const { type, name, cause, code } = current as {
      type?: unknown
      name?: unknown
      cause?: unknown
      code?: unknown
    }
    if (typeof type === 'string') types.push(type)
    if (typeof name === 'string') types.push(name)
    if (code === producerFencedCode) types.push('PRODUCER_FENCED')
    if (cause === current) break
    current = cause
  }
  return types
}

/** `transactional`: the producer has a transactional id, so an epoch error means it was fenced. */
export function classify(
  error: unknown,
  redact: (text: string) => string,
  transactional = false,
): ProduceFailure {
  if (error instanceof ProduceFailure) return error
  const types = errorTypes(error)
  const code = types.find((type) => /^[A-Z_]+$/.test(type))
  let kind: ProduceFailureKind = 'transient'
  // A transactional producer's epoch is only ever bumped by a newer producer or by the coordinator
  // ending its transaction: either way it is fenced.
  if (types.some((type) => fencedErrors.has(type) || (transactional && type === 'INVALID_PRODUCER_EPOCH')))
    kind = 'fenced'
  else if (types.some((type) => recordRejections.has(type))) kind = 'record-rejected'
  else if (types.some((type) => producerStateErrors.has(type))) kind = 'producer-state'
  else if (types.includes('UNKNOWN_TOPIC_OR_PARTITION')) kind = 'topic-missing'
  const message = error instanceof Error ? error.message : String(error)
  return new ProduceFailure(
    kind,
    code,
    redact(code && !message.includes(code) ? `${code}: ${message}` : message),
  )
}
