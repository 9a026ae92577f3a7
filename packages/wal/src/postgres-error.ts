/** Fields of an ErrorResponse or NoticeResponse, by their one-byte codes. */
export interface PostgresErrorFields {
  severity: string
  code: string
  message: string
  detail?: string
  hint?: string
  position?: string
  where?: string
  schema?: string
  table?: string
  column?: string
  constraint?: string
  routine?: string
}

/** An ErrorResponse from the server: SQLSTATE `code`, `severity`, message, detail and hint. */
export class PostgresError extends Error {
  override readonly name = 'PostgresError'
  /** SQLSTATE, e.g. '28P01' invalid_password, '42704' undefined_object. */
  readonly code: string
  /** ERROR, FATAL or PANIC (not localized). */
  readonly severity: string
  readonly detail?: string
  readonly hint?: string
  readonly fields: PostgresErrorFields

  constructor(fields: PostgresErrorFields, context?: string) {
    super(`${context ? `${context}: ` : ''}${fields.severity} ${fields.code}: ${fields.message}`)
    this.code = fields.code
    this.severity = fields.severity
    if (fields.detail !== undefined) this.detail = fields.detail
    if (fields.hint !== undefined) this.hint = fields.hint
    this.fields = fields
  }
}
