import type { TraceInfo } from './fact.js'

/**
 * Keys of `TraceInfo.metadata` on the wire. The Go factlib (`common.TraceInfo`, `IsSampled`
 * "1"/"0") and the Python client (`metadata={"parent_op": span.op}`) use these names.
 */
export const TraceMetadataKey = {
  parentOp: 'parent_op',
  isSampled: 'is_sampled',
} as const

/**
 * The wire map entries of a TraceInfo, unsorted: `isSampled` becomes "1" or "0" like the Go
 * client, and the typed fields win over an entry of `metadata` under the same key.
 */
export function traceMetadataOf(traceInfo: TraceInfo): Array<[string, string]> {
  const entries: Array<[string, string]> = []
  if (traceInfo.isSampled !== undefined)
    entries.push([TraceMetadataKey.isSampled, traceInfo.isSampled ? '1' : '0'])
  if (traceInfo.parentOp !== undefined) entries.push([TraceMetadataKey.parentOp, traceInfo.parentOp])
  const extra = traceInfo.metadata
  if (extra) {
    for (const key of Object.keys(extra)) {
      if (key === TraceMetadataKey.isSampled && traceInfo.isSampled !== undefined) continue
      if (key === TraceMetadataKey.parentOp && traceInfo.parentOp !== undefined) continue
      entries.push([key, extra[key]!])
    }
  }
  return entries
}

/** Reads `is_sampled` leniently: "1"/"true" and "0"/"false"; anything else means unknown. */
export function parseSampledFlag(value: string): boolean | undefined {
  const normalised = value.trim().toLowerCase()
  if (normalised === '1' || normalised === 'true') return true
  if (normalised === '0' || normalised === 'false') return false
  return undefined
}

/**
 * Builds a TraceInfo from the decoded wire fields. `parent_op` and a readable `is_sampled` become
 * typed fields; every other entry is kept verbatim in `metadata`, so nothing is lost on the way.
 */
export function traceInfoFromWire(traceId: string, spanId: string, metadata: Map<string, string>): TraceInfo {
  const traceInfo: TraceInfo = { traceId, spanId }
  for (const [key, value] of metadata) {
    if (key === TraceMetadataKey.parentOp) {
      traceInfo.parentOp = value
      continue
    }
    if (key === TraceMetadataKey.isSampled) {
      const isSampled = parseSampledFlag(value)
      if (isSampled !== undefined) {
        traceInfo.isSampled = isSampled
        continue
      }
    }
    traceInfo.metadata ??= {}
    // defineProperty so a `__proto__` key is kept as data instead of touching the prototype.
    Object.defineProperty(traceInfo.metadata, key, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    })
  }
  return traceInfo
}
