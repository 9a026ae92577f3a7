import { nowEpochNanos } from './clock.js'
import type { FactEnvelope, FactInput } from './fact.js'
import { InvalidFactError } from './invalid-fact-error.js'
import { uuidV7 } from './uuid-v7.js'
import { validateFact } from './validate-fact.js'

const INT64_MIN = -(2n ** 63n)
const INT64_MAX = 2n ** 63n - 1n

export interface CreateEnvelopeOptions {
  /** Clock in Unix epoch nanoseconds; injectable for tests. */
  now?: () => bigint
}

/** Validates a fact (throws `InvalidFactError`) and stamps it with a UUIDv7 id and creation time. */
export function createEnvelope(fact: FactInput, options: CreateEnvelopeOptions = {}): FactEnvelope {
  const validated = validateFact(fact)
  const createdAt = (options.now ?? nowEpochNanos)()
  if (typeof createdAt !== 'bigint' || createdAt < INT64_MIN || createdAt > INT64_MAX) {
    throw new InvalidFactError([{ path: 'createdAt', message: 'clock must return a bigint within int64' }])
  }
  return { id: uuidV7(), createdAt, ...validated }
}
