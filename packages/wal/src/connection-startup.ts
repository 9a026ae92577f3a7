import type { Socket } from 'node:net'
import type { AsynchronousMessages } from './asynchronous-messages.js'
import { chooseChannelBinding } from './auth/channel-binding.js'
import { md5PasswordResponse } from './auth/md5-password.js'
import { ScramSha256Client } from './auth/scram-sha-256.js'
import type { ResolvedConnectionOptions } from './connection-options.js'
import { PostgresError } from './postgres-error.js'
import { AuthenticationError, ReplicationProtocolError } from './replication-errors.js'
import type { BackendMessageSource } from './wire/backend-message-source.js'
import {
  type AuthenticationRequest,
  parseAuthentication,
  parseErrorFields,
  parseSaslMechanisms,
} from './wire/backend-messages.js'
import {
  passwordMessage,
  saslInitialResponse,
  saslResponse,
  startupMessage,
} from './wire/frontend-messages.js'
import { AuthenticationCode, BackendCode } from './wire/message-codes.js'

/**
 * Start-up and authentication: StartupMessage with replication=database, then the server's
 * authentication requests (trust, cleartext, MD5, SCRAM-SHA-256 with or without channel binding)
 * until ReadyForQuery. Parameters the server reports on the way go to `messages`.
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
  const authentication = new Authentication(socket, options)
  while (true) {
    const message = await messages.next(source)
    switch (message.code) {
      case BackendCode.authentication:
        authentication.answer(parseAuthentication(message.body))
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

/** The client side of the authentication exchange, one server request at a time. */
class Authentication {
  /** 'trust', 'cleartext', 'md5', 'SCRAM-SHA-256' or 'SCRAM-SHA-256-PLUS'. */
  method = 'trust'
  private scram: ScramSha256Client | undefined

  constructor(
    private readonly socket: Socket,
    private readonly options: ResolvedConnectionOptions,
  ) {}

  answer(request: AuthenticationRequest): void {
    const { socket, options } = this
    switch (request.code) {
      case AuthenticationCode.ok:
        if (options.channelBinding === 'require' && this.scram?.mechanism !== 'SCRAM-SHA-256-PLUS') {
          throw new AuthenticationError('channel_binding=require, but the server authenticated without it')
        }
        break
      case AuthenticationCode.cleartextPassword:
        this.method = 'cleartext'
        socket.write(passwordMessage(this.password('cleartext password')))
        break
      case AuthenticationCode.md5Password:
        this.method = 'md5'
        socket.write(passwordMessage(md5PasswordResponse(options.user, this.password('MD5'), request.data)))
        break
      case AuthenticationCode.sasl: {
        const mechanisms = parseSaslMechanisms(request.data)
        const scram = new ScramSha256Client(
          this.password('SCRAM-SHA-256'),
          chooseChannelBinding(socket, mechanisms, options),
        )
        if (!mechanisms.includes(scram.mechanism)) {
          throw new AuthenticationError(
            `the server offers SASL mechanisms ${mechanisms.join(', ')}; this client supports SCRAM-SHA-256(-PLUS)`,
          )
        }
        this.scram = scram
        this.method = scram.mechanism
        socket.write(saslInitialResponse(scram.mechanism, scram.clientFirstMessage()))
        break
      }
      case AuthenticationCode.saslContinue:
        if (!this.scram) throw new ReplicationProtocolError('SASLContinue before SASL')
        socket.write(saslResponse(this.scram.clientFinalMessage(request.data)))
        break
      case AuthenticationCode.saslFinal:
        if (!this.scram) throw new ReplicationProtocolError('SASLFinal before SASL')
        this.scram.verifyServerFinal(request.data)
        break
      default:
        throw new AuthenticationError(
          `the server asks for an authentication method this client does not support (code ${request.code})`,
        )
    }
  }

  private password(method: string): string {
    if (this.options.password === undefined) {
      throw new AuthenticationError(`the server asks for ${method} authentication but no password was given`)
    }
    return this.options.password
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
