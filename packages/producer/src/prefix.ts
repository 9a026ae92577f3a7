import { InvalidPrefixError } from './errors.js'

/**
 * Kafka topics are `<prefix>.<aggregateType>` and at most 249 characters of [A-Za-z0-9._-];
 * capping the prefix at 200 leaves room for the aggregate type.
 */
export const MAX_PREFIX_LENGTH = 200

const TOPIC_SAFE = /^[A-Za-z0-9._-]+$/

export function assertValidPrefix(prefix: unknown): asserts prefix is string {
  if (typeof prefix !== 'string' || prefix.length === 0) {
    throw new InvalidPrefixError(String(prefix ?? ''), 'must be a non-empty string')
  }
  if (prefix.length > MAX_PREFIX_LENGTH) {
    throw new InvalidPrefixError(prefix, `longer than ${MAX_PREFIX_LENGTH} characters`)
  }
  if (!TOPIC_SAFE.test(prefix)) {
    throw new InvalidPrefixError(
      prefix,
      'may only contain ASCII letters, digits, ".", "_" and "-" (it names Kafka topics)',
    )
  }
}
