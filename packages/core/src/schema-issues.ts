import type { SchemaError } from 'effect/Schema'
import { SchemaIssue } from './effect/effect-modules.js'
import type { FactIssue } from './invalid-fact-error.js'

// Effect's own flattening of an issue tree into { path, message } leaves, one per failing check.
const flatten = SchemaIssue.makeFormatterStandardSchemaV1()

/** Flattens an Effect Schema error into one issue per failing check, with dotted paths. */
export function schemaIssues(error: SchemaError, pathPrefix = ''): FactIssue[] {
  return flatten(error.issue).issues.map((issue) => {
    const path = (issue.path ?? [])
      .map((segment) => String(typeof segment === 'object' ? segment.key : segment))
      .join('.')
    return { path: pathPrefix && path ? `${pathPrefix}.${path}` : pathPrefix || path, message: issue.message }
  })
}
