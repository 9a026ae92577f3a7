const NANOS_PER_MILLI = 1_000_000n

let anchorWallNanos = BigInt(Date.now()) * NANOS_PER_MILLI
let anchorMonotonicMillis = performance.now()

/**
 * Current time as Unix epoch nanoseconds. Date.now() only has millisecond resolution, so the
 * sub-millisecond part comes from the monotonic clock, re-anchored on the wall clock whenever
 * they drift apart by a millisecond (NTP steps, suspend) so the result stays wall-clock time.
 */
export function nowEpochNanos(): bigint {
  const wallMillis = Date.now()
  const monotonicMillis = performance.now()
  const elapsed = monotonicMillis - anchorMonotonicMillis
  const estimate = anchorWallNanos + BigInt(Math.round(elapsed * 1e6))
  const wallNanos = BigInt(wallMillis) * NANOS_PER_MILLI
  if (estimate < wallNanos || estimate >= wallNanos + NANOS_PER_MILLI) {
    anchorWallNanos = wallNanos
    anchorMonotonicMillis = monotonicMillis
    return wallNanos
  }
  return estimate
}
