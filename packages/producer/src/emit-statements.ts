/** One fact: the statement every factlib client runs, always transactional. */
export const EMIT_ONE = 'SELECT pg_logical_emit_message(true, $1, $2::bytea)'

/**
 * Many facts in one round trip. The envelopes travel as one concatenated bytea plus start
 * offsets and lengths (integer arrays pass through every driver unchanged, unlike bytea
 * arrays), and are emitted in array order: ORDER BY the ordinality, with the volatile emit
 * evaluated after the sort.
 */
export const EMIT_MANY =
  'SELECT pg_logical_emit_message(true, $1, substring($2::bytea FROM o FOR l)) ' +
  'FROM unnest($3::int4[], $4::int4[]) WITH ORDINALITY AS f(o, l, n) ORDER BY n'
