import { UnfoldableStatementError } from './errors.js'

/** One fact: the statement every factlib client runs, always transactional. */
export const EMIT_ONE = 'SELECT pg_logical_emit_message(true, $1, $2::bytea)'

/**
 * Many facts in one round trip. The envelopes travel as one concatenated bytea plus their
 * 1-based start offsets and lengths as comma-separated text (plain strings pass through every
 * driver unchanged and cost far less client CPU to serialise than bytea or integer arrays).
 * They are emitted in array order: ORDER BY the ordinality, the volatile emit being evaluated
 * after the sort.
 */
export const EMIT_MANY =
  'SELECT pg_logical_emit_message(true, $1, substring($2::bytea FROM o FOR l)) ' +
  "FROM unnest(string_to_array($3, ',')::int4[], string_to_array($4, ',')::int4[]) " +
  'WITH ORDINALITY AS f(o, l, n) ORDER BY n'

/**
 * What can be folded: INSERT, UPDATE or DELETE. Not a statement of its own WITH: a SELECT in a
 * WITH that nothing references is never run, so the caller's statement would silently not happen.
 */
const FOLDABLE_STATEMENT = /^\s*(insert|update|delete)\b/i

/**
 * The caller's INSERT, UPDATE or DELETE and one fact in a single statement. A data-modifying
 * WITH always runs to completion, referenced or not, and the outer SELECT runs exactly once, so
 * the fact is emitted once whether the statement touched no row or many. The statement keeps its
 * parameters $1..$n; the prefix and envelope come after them.
 */
function emitAlong(statement: string, parameterCount: number): string {
  return (
    `WITH factlib_statement AS (${statement}) ` +
    `SELECT pg_logical_emit_message(true, $${parameterCount + 1}, $${parameterCount + 2}::bytea)`
  )
}

/**
 * The highest `$n` the statement text names. The fact's own parameters come after the caller's,
 * so a `$n` beyond them would silently bind the prefix or the envelope instead of failing.
 */
function highestParameter(statement: string): number {
  let highest = 0
  for (const match of statement.matchAll(/\$(\d+)/g)) highest = Math.max(highest, Number(match[1]))
  return highest
}

type Folding =
  | { readonly parameterCount: number; readonly text: string }
  // A refusal is remembered as its reason; each call throws an error of its own.
  | { readonly parameterCount: number; readonly refusal: string | undefined }

// An application folds a handful of fixed statements; past this many distinct texts (generated
// SQL) the memo starts over rather than grow without bound, and a long text (values spelled out
// inline) is folded afresh each time rather than kept.
const MAX_REMEMBERED_STATEMENTS = 1000
const MAX_REMEMBERED_TEXT_LENGTH = 4096

/**
 * Folds statements into the emit, remembering each text's result: checking and rewriting it
 * per call cost more client CPU than the rest of emitWith's own work.
 */
export class StatementFolder {
  readonly #foldings = new Map<string, Folding>()

  /** How many statement texts are remembered. */
  get rememberedCount(): number {
    return this.#foldings.size
  }

  /** The folded text for `statement` run with `parameterCount` parameters; throws `UnfoldableStatementError`. */
  fold(statement: string, parameterCount: number): string {
    let folding = this.#foldings.get(statement)
    if (folding === undefined || folding.parameterCount !== parameterCount) {
      folding = foldOnce(statement, parameterCount)
      if (statement.length <= MAX_REMEMBERED_TEXT_LENGTH) {
        if (this.#foldings.size >= MAX_REMEMBERED_STATEMENTS) this.#foldings.clear()
        this.#foldings.set(statement, folding)
      }
    }
    if ('refusal' in folding) throw new UnfoldableStatementError(statement, folding.refusal)
    return folding.text
  }
}

function foldOnce(statement: string, parameterCount: number): Folding {
  if (!FOLDABLE_STATEMENT.test(statement)) return { parameterCount, refusal: undefined }
  const highest = highestParameter(statement)
  if (highest > parameterCount) {
    return { parameterCount, refusal: `it names $${highest} but ${parameterCount} parameter(s) came with it` }
  }
  return { parameterCount, text: emitAlong(statement, parameterCount) }
}

/** Throws `UnfoldableStatementError` unless `statement` starts as an INSERT, UPDATE or DELETE. */
export function assertFoldable(statement: string): void {
  if (!FOLDABLE_STATEMENT.test(statement)) throw new UnfoldableStatementError(statement)
}
