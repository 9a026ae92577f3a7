import { Result, Schema } from './effect/effect-modules.js'
import type { Fact, FactInput } from './fact.js'
import { FactInputSchema } from './fact-schema.js'
import { InvalidFactError } from './invalid-fact-error.js'
import { schemaIssues } from './schema-issues.js'

const decodeFactInput = Schema.decodeUnknownResult(FactInputSchema, {
  errors: 'all',
  onExcessProperty: 'ignore',
})

/**
 * Checks an untrusted fact and returns it with metadata defaulted to `{}`.
 * Throws `InvalidFactError` listing every bad field.
 */
export function validateFact(input: FactInput): Fact {
  const result = decodeFactInput(withoutUndefinedOptionals(input))
  if (Result.isFailure(result)) throw new InvalidFactError(schemaIssues(result.failure))
  const fact = result.success
  const validated: Fact = {
    aggregateType: fact.aggregateType,
    aggregateId: fact.aggregateId,
    eventType: fact.eventType,
    payload: fact.payload,
    metadata: { ...(fact.metadata ?? {}) },
  }
  if (fact.traceInfo) {
    const { metadata, ...trace } = fact.traceInfo
    validated.traceInfo = metadata ? { ...trace, metadata: { ...metadata } } : { ...trace }
  }
  return validated
}

// Callers often write `traceInfo: maybeTrace`; an explicit undefined means "absent".
function withoutUndefinedOptionals(input: unknown): unknown {
  if (typeof input !== 'object' || input === null) return input
  const copy: Record<string, unknown> = { ...input }
  for (const key of ['metadata', 'traceInfo']) if (copy[key] === undefined) delete copy[key]
  const trace = copy.traceInfo
  if (typeof trace === 'object' && trace !== null) {
    const traceCopy: Record<string, unknown> = { ...trace }
    for (const key of ['parentOp', 'isSampled', 'metadata'])
      if (traceCopy[key] === undefined) delete traceCopy[key]
    copy.traceInfo = traceCopy
  }
  return copy
}
