import * as Schema from 'effect/Schema'

const NumberText = Schema.NumberFromString.annotations({ message: () => 'must be a number' })

const Port = NumberText.pipe(
  Schema.int({ message: () => 'must be a whole number' }),
  Schema.between(1, 65535, { message: () => 'must be a port number from 1 to 65535' }),
)

const PositiveInt = NumberText.pipe(
  Schema.int({ message: () => 'must be a whole number' }),
  Schema.positive({ message: () => 'must be greater than 0' }),
)

const BooleanFlag = Schema.transform(
  Schema.String.pipe(
    Schema.filter(
      (text) =>
        ['true', 'false', '1', '0', 'yes', 'no'].includes(text.toLowerCase()) || 'must be true or false',
    ),
  ),
  Schema.Boolean,
  {
    strict: true,
    decode: (text) => ['true', '1', 'yes'].includes(text.toLowerCase()),
    encode: (flag) => (flag ? 'true' : 'false'),
  },
)

/** A comma-separated list of at least one item, each matching `item` (the rule says what it must be). */
function commaList(noun: string, item: RegExp, rule: string) {
  return Schema.transform(Schema.String, Schema.Array(Schema.String), {
    strict: true,
    decode: (text) =>
      text
        .split(',')
        .map((part) => part.trim())
        .filter((part) => part.length > 0),
    encode: (parts) => parts.join(','),
  }).pipe(
    Schema.filter((parts) => parts.length > 0 || `must name at least one ${noun}`),
    Schema.filter((parts) => parts.every((part) => item.test(part)) || rule),
  )
}

/** Prefixes become Kafka topic name parts and pg_logical_emit_message prefixes. */
const PrefixList = commaList(
  'prefix',
  /^[A-Za-z0-9._-]{1,200}$/,
  'each prefix may use only letters, digits, ".", "_" and "-" (it becomes part of Kafka topic names)',
)

const BrokerList = commaList('broker', /^[^\s:]+:\d{1,5}$/, 'each broker must be host:port')

const PostgresUrl = Schema.String.pipe(
  Schema.filter((text) => {
    try {
      const url = new URL(text)
      return (
        ['postgres:', 'postgresql:'].includes(url.protocol) || 'must be a postgres:// or postgresql:// URL'
      )
    } catch {
      return 'must be a postgres:// URL'
    }
  }),
)

const Identifier = Schema.String.pipe(
  Schema.pattern(/^[a-z_][a-z0-9_]{0,62}$/, {
    message: () => 'must be a lower-case PostgreSQL identifier (a-z, 0-9, _; at most 63 characters)',
  }),
)

const withDefault = <A, I, R>(schema: Schema.Schema<A, I, R>, fallback: () => NoInfer<A>) =>
  Schema.optionalWith(schema, { default: fallback })

/**
 * The environment owlpost reads. The first block is the Go owlpost's, with its names and
 * defaults, so an existing deployment keeps working; the rest are new and all optional.
 */
export const OwlpostEnv = Schema.Struct({
  APP_NAME: withDefault(Schema.NonEmptyString, () => 'owlpost'),
  SRC_SERVICE_NAME: withDefault(Schema.NonEmptyString, () => 'unknown'),
  WAL_PREFIX: PrefixList,
  MASTER_DATABASE_URL: PostgresUrl,
  KAFKA_BROKERS: BrokerList,
  KAFKA_USERNAME: withDefault(Schema.String, () => ''),
  KAFKA_PASSWORD: withDefault(Schema.String, () => ''),
  KAFKA_SSL: withDefault(BooleanFlag, () => false),
  REPLICATION_SLOT_NAME: withDefault(Identifier, () => 'factlib_slot'),
  PUBLICATION_NAME: withDefault(Identifier, () => 'facts'),
  WAL_HEALTH_PORT: withDefault(Port, () => 3001),
  METRICS_PORT: withDefault(Port, () => 2112),

  LOG_LEVEL: withDefault(
    oneOf('trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'),
    () => 'info' as const,
  ),
  KAFKA_SASL_MECHANISM: withDefault(
    oneOf('scram-sha-512', 'scram-sha-256', 'plain'),
    () => 'scram-sha-512' as const,
  ),
  KAFKA_SSL_CA_FILE: Schema.optional(Schema.NonEmptyString),
  KAFKA_COMPRESSION: withDefault(oneOf('none', 'gzip', 'snappy', 'lz4', 'zstd'), () => 'none' as const),
  KAFKA_TOPIC_PARTITIONS: Schema.optional(PositiveInt),
  KAFKA_TOPIC_REPLICATION_FACTOR: withDefault(PositiveInt, () => 1),
  DEAD_LETTER_TOPIC: Schema.optional(Schema.NonEmptyString),
  ON_PERMANENT_ERROR: withDefault(oneOf('dead-letter', 'halt'), () => 'dead-letter' as const),
  MAX_IN_FLIGHT_FACTS: withDefault(PositiveInt, () => 10_000),
  MAX_IN_FLIGHT_BYTES: withDefault(PositiveInt, () => 16 * 1024 * 1024),
  STATUS_INTERVAL_MS: withDefault(PositiveInt, () => 10_000),
  WAL_SILENCE_TIMEOUT_MS: withDefault(PositiveInt, () => 90_000),
  SHUTDOWN_TIMEOUT_MS: withDefault(PositiveInt, () => 15_000),
  STANDBY_RETRY_MS: withDefault(PositiveInt, () => 2_000),
  RECONNECT_MAX_BACKOFF_MS: withDefault(PositiveInt, () => 30_000),
  LAG_POLL_INTERVAL_MS: withDefault(PositiveInt, () => 10_000),
})

export type OwlpostEnv = typeof OwlpostEnv.Type

/** One readable message for a choice, instead of one per rejected alternative. */
function oneOf<const Choices extends readonly [string, ...string[]]>(
  ...choices: Choices
): Schema.Schema<Choices[number], string> {
  return Schema.String.pipe(
    Schema.filter((text) => choices.includes(text) || `must be one of: ${choices.join(', ')}`),
  ) as unknown as Schema.Schema<Choices[number], string>
}
