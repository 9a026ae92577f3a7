/** The socket failed, closed, or TLS could not be set up as the sslmode demands. */
export class ReplicationConnectionError extends Error {
  override readonly name = 'ReplicationConnectionError'
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options)
  }
}

/** What an AuthenticationError is about, so callers need not parse its message. */
export interface AuthenticationErrorDetails {
  /** The server's message refused or found wrong, e.g. 'AuthenticationOk', 'AuthenticationSASLContinue'. */
  request?: string
  /** The part of it, e.g. a SCRAM attribute: 'i' (iteration count), 'r' (nonce), 's' (salt), 'v', 'e'. */
  field?: string
  /** The client setting that forbids it, e.g. 'channel_binding=require', 'require_auth=!md5'. */
  rule?: string
}

/**
 * The server cannot authenticate the way the client allows (or the other way round), or it broke
 * the authentication exchange. Refusals by a rule (channel_binding, require_auth) happen before
 * the client sends any password or proof.
 */
export class AuthenticationError extends Error {
  override readonly name = 'AuthenticationError'
  readonly request: string | undefined
  readonly field: string | undefined
  readonly rule: string | undefined

  constructor(message: string, details: AuthenticationErrorDetails = {}) {
    super(message)
    this.request = details.request
    this.field = details.field
    this.rule = details.rule
  }
}

/** The server sent something the protocol does not allow at this point. */
export class ReplicationProtocolError extends Error {
  override readonly name = 'ReplicationProtocolError'
}

/**
 * A backend message (ErrorResponse, RowDescription, DataRow, Authentication, ...) whose body does
 * not parse: truncated, a string without its terminator, invalid UTF-8. What the server reports
 * with a well-formed ErrorResponse is a PostgresError; this is the message itself being broken.
 */
export class BackendMessageDecodeError extends Error {
  override readonly name = 'BackendMessageDecodeError'

  constructor(
    /** The backend message being parsed, e.g. 'ErrorResponse', 'DataRow'. */
    readonly messageType: string,
    /** The field that could not be read, e.g. 'field.value', 'column.length'. */
    readonly field: string,
    /** Byte offset into the message body where the field starts. */
    readonly offset: number,
    reason: string,
  ) {
    super(`cannot parse backend message ${messageType}: field ${field} at offset ${offset}: ${reason}`)
  }
}

/** A START_REPLICATION option needs a newer server than the one connected to. */
export class UnsupportedServerVersionError extends Error {
  override readonly name = 'UnsupportedServerVersionError'
  constructor(
    readonly option: string,
    readonly requiredVersion: number,
    readonly serverVersion: number,
  ) {
    super(
      `replication option ${option} needs PostgreSQL ${requiredVersion / 10000} or later; the server is ${formatVersion(serverVersion)}`,
    )
  }
}

/** Neither data nor keepalive arrived for longer than silenceTimeoutMs, even after a ping. */
export class ReplicationSilenceError extends Error {
  override readonly name = 'ReplicationSilenceError'
  constructor(readonly silenceMs: number) {
    super(`the server sent nothing for ${silenceMs} ms (silenceTimeoutMs), even when asked for a reply`)
  }
}

function formatVersion(version: number): string {
  return `${Math.floor(version / 10000)}.${version % 10000} (server_version_num ${version})`
}
