import * as ParseResult from 'effect/ParseResult'
import type { FactIssue } from './invalid-fact-error.js'

/** Flattens an Effect Schema parse error into one issue per failing path. */
export function schemaIssues(error: ParseResult.ParseError, pathPrefix = ''): FactIssue[] {
  return ParseResult.ArrayFormatter.formatErrorSync(error).map((issue) => {
    const path = issue.path.map((segment) => String(segment)).join('.')
    return { path: pathPrefix && path ? `${pathPrefix}.${path}` : pathPrefix || path, message: issue.message }
  })
}
