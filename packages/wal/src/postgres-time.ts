/**
 * PostgreSQL sends timestamps on the replication protocol as microseconds since 2000-01-01 00:00 UTC.
 * The decoder keeps them as that exact integer (no precision lost); these convert at the edge.
 */

/** Microseconds between the Unix epoch and the PostgreSQL epoch (2000-01-01 UTC). */
export const postgresEpochOffsetMicros = 946_684_800_000_000n

/** Converts a protocol timestamp to a Date (millisecond precision). */
export function postgresTimeToDate(micros: bigint): Date {
  return new Date(Number((micros + postgresEpochOffsetMicros) / 1000n))
}

/** Converts a Date to a protocol timestamp. */
export function dateToPostgresTime(date: Date): bigint {
  return BigInt(date.getTime()) * 1000n - postgresEpochOffsetMicros
}

/** The current time as a protocol timestamp, for standby status updates. */
export function nowAsPostgresTime(): bigint {
  return dateToPostgresTime(new Date())
}
