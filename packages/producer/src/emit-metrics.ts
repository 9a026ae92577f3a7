/**
 * Why an emit failed, in the Go producer's words: the fact was refused (`validation`, including
 * an envelope over `maxPayloadBytes`), could not be encoded (`marshal`), or the database refused
 * the statement (`emit`).
 */
export type EmitFailureType = 'validation' | 'marshal' | 'emit'

/**
 * What a producer reports per fact, when given. `prometheusEmitMetrics` from
 * `@factlib/producer/prometheus` records it under the Go producer's metric names; any other
 * implementation (StatsD, OpenTelemetry) fits the same seam.
 */
export interface EmitMetrics {
  /** A fact was emitted; `seconds` is the emit statement's round trip, shared by the facts it carried. */
  emitted(aggregateType: string, eventType: string, seconds: number): void
  /** A fact was not emitted, and why. */
  failed(aggregateType: string, eventType: string, type: EmitFailureType): void
}
