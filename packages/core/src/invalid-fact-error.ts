/** One problem found in a fact, `path` being the dotted field path (e.g. `traceInfo.spanId`). */
export interface FactIssue {
  readonly path: string
  readonly message: string
}

/** A fact failed validation; `issues` names every bad field, not just the first. */
export class InvalidFactError extends Error {
  override readonly name = 'InvalidFactError'
  readonly issues: ReadonlyArray<FactIssue>

  constructor(issues: ReadonlyArray<FactIssue>, subject = 'fact') {
    const summary = issues.map((issue) => `${issue.path || '(root)'}: ${issue.message}`).join('; ')
    super(`Invalid ${subject}: ${summary}`)
    this.issues = issues
  }
}
