import type { TraceInfo } from './fact.js'

/**
 * Keys of `TraceInfo.metadata` on the wire. The Go factlib (`common.TraceInfo`, `IsSampled`
 * "1"/"0") and the Python client (`metadata={"parent_op": span.op}`) use these names.
 */
export const TraceMetadataKey = {
  parentOp: 'parent_op',
  isSampled: 'is_sampled',
} as const

/** The wire map for a TraceInfo's optional parts; `isSampled` becomes "1" or "0" like the Go client. */
export function traceMetadataOf(traceInfo: TraceInfo): Array<[string, string]> {
  const entries: Array<[string, string]> = []
  // Sorted by key, as deterministic protobuf serialisation orders map entries.
  if (traceInfo.isSampled !== undefined)
    entries.push([TraceMetadataKey.isSampled, traceInfo.isSampled ? '1' : '0'])
  if (traceInfo.parentOp !== undefined) entries.push([TraceMetadataKey.parentOp, traceInfo.parentOp])
  return entries
}

/** Reads `is_sampled` leniently: "1"/"true" and "0"/"false"; anything else means unknown. */
export function parseSampledFlag(value: string): boolean | undefined {
  const normalised = value.trim().toLowerCase()
  if (normalised === '1' || normalised === 'true') return true
  if (normalised === '0' || normalised === 'false') return false
  return undefined
}

/** Builds a TraceInfo from the decoded wire fields; unknown metadata keys are dropped. */
export function traceInfoFromWire(traceId: string, spanId: string, metadata: Map<string, string>): TraceInfo {
  const traceInfo: TraceInfo = { traceId, spanId }
  const parentOp = metadata.get(TraceMetadataKey.parentOp)
  if (parentOp !== undefined) traceInfo.parentOp = parentOp
  const sampled = metadata.get(TraceMetadataKey.isSampled)
  const isSampled = sampled === undefined ? undefined : parseSampledFlag(sampled)
  if (isSampled !== undefined) traceInfo.isSampled = isSampled
  return traceInfo
}
