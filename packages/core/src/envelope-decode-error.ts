/** Bytes that are not a valid fact envelope; `field` and `offset` say what broke and where. */
export class EnvelopeDecodeError extends Error {
  override readonly name = 'EnvelopeDecodeError'
  /** Protobuf field path that failed, e.g. `trace_info.metadata` or `tag`. */
  readonly field: string
  /** Byte offset in the envelope where the failing item starts. */
  readonly offset: number

  constructor(field: string, offset: number, reason: string) {
    super(`Cannot decode fact envelope: ${field} at byte ${offset}: ${reason}`)
    this.field = field
    this.offset = offset
  }
}
