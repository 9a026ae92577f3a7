/// <reference types="node" preserve="true" />
import type { Socket } from 'node:net'
import type { AsynchronousMessages } from './asynchronous-messages.js'
import { AuthenticationExchange } from './auth/authentication-exchange.js'
import type { ResolvedConnectionOptions } from './connection-options.js'
import { PostgresError } from './postgres-error.js'
import { ReplicationProtocolError } from './replication-errors.js'
import type { BackendMessageSource } from './wire/backend-message-source.js'
import { parseAuthentication, parseErrorFields } from './wire/backend-messages.js'
import { startupMessage } from './wire/frontend-messages.js'
import { BackendCode } from './wire/message-codes.js'

/**
 * Start-up and authentication: StartupMessage with replication=database, then the server's
 * authentication requests (trust, cleartext, MD5, SCRAM-SHA-256 with or without channel binding)
 * until ReadyForQuery. The exchange refuses what channel_binding and require_auth forbid before
 * answering it (see AuthenticationExchange). Parameters the server reports on the way go to `messages`.
 * Returns how the server authenticated us.
 */
export async function startUp(
  socket: Socket,
  source: BackendMessageSource,
  messages: AsynchronousMessages,
  options: ResolvedConnectionOptions,
): Promise<string> {
  const parameters: Record<string, string> = {
    user: options.user,
    database: options.database,
    replication: 'database',
    client_encoding: 'UTF8',
  }
  if (options.applicationName) parameters.application_name = options.applicationName
  socket.write(startupMessage(parameters))
  const authentication = new AuthenticationExchange(socket, options)
  while (true) {
    const message = await messages.next(source)
    switch (message.code) {
      case BackendCode.authentication:
        // Awaited: the answer to SASLContinue runs PBKDF2 on the thread pool. Messages arriving
        // meanwhile wait in the source.
        await authentication.answer(parseAuthentication(message.body))
        break
      case BackendCode.backendKeyData:
      case BackendCode.negotiateProtocolVersion:
        break
      case BackendCode.errorResponse:
        throw new PostgresError(
          parseErrorFields(message.body),
          `connecting as ${options.user} to ${options.database}`,
        )
      case BackendCode.readyForQuery:
        messages.startUpDone()
        return authentication.method
      default:
        throw new ReplicationProtocolError(
          `unexpected backend message 0x${message.code.toString(16)} during startup`,
        )
    }
  }
}

/** server_version '15.18' → 150018, '9.6.24' → 90624, '17devel' → 170000. */
export function parseServerVersion(text: string): number {
  const match = /^(\d+)(?:\.(\d+))?(?:\.(\d+))?/.exec(text)
  if (!match) return 0
  const major = Number(match[1])
  if (major >= 10) return major * 10000 + Number(match[2] ?? 0)
  return major * 10000 + Number(match[2] ?? 0) * 100 + Number(match[3] ?? 0)
}
