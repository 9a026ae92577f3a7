import type { FactIssue } from './invalid-fact-error.js'

/** An envelope handed to a typed decoder is of another aggregate type or event type. */
export class FactTypeMismatchError extends Error {
  override readonly name = 'FactTypeMismatchError'
  readonly expected: { aggregateType: string; eventType: string }
  readonly actual: { aggregateType: string; eventType: string }
  readonly eventId: string

  constructor(
    expected: { aggregateType: string; eventType: string },
    actual: { aggregateType: string; eventType: string },
    eventId: string,
  ) {
    super(
      `Fact ${eventId} is ${actual.aggregateType}/${actual.eventType}, expected ${expected.aggregateType}/${expected.eventType}`,
    )
    this.expected = expected
    this.actual = actual
    this.eventId = eventId
  }
}

/** A received payload does not match its typed fact's schema (or is not JSON at all). */
export class FactPayloadDecodeError extends Error {
  override readonly name = 'FactPayloadDecodeError'
  readonly aggregateType: string
  readonly eventType: string
  readonly eventId: string
  /** Every failing payload path, e.g. `payload.email`. */
  readonly issues: ReadonlyArray<FactIssue>

  constructor(aggregateType: string, eventType: string, eventId: string, issues: ReadonlyArray<FactIssue>) {
    const summary = issues.map((issue) => `${issue.path || '(root)'}: ${issue.message}`).join('; ')
    super(`Payload of ${aggregateType}/${eventType} fact ${eventId} is invalid: ${summary}`)
    this.aggregateType = aggregateType
    this.eventType = eventType
    this.eventId = eventId
    this.issues = issues
  }
}
