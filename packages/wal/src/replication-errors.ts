/** The socket failed, closed, or TLS could not be set up as the sslmode demands. */
export class ReplicationConnectionError extends Error {
  override readonly name = 'ReplicationConnectionError'
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options)
  }
}

/** The server cannot authenticate the way the client allows (or the other way round). */
export class AuthenticationError extends Error {
  override readonly name = 'AuthenticationError'
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
