/// <reference types="node" preserve="true" />
import type { Socket } from 'node:net'
import type { ResolvedConnectionOptions } from '../connection-options.js'
import { AuthenticationError } from '../replication-errors.js'
import { type AuthenticationRequest, parseSaslMechanisms } from '../wire/backend-messages.js'
import { passwordMessage, saslInitialResponse, saslResponse } from '../wire/frontend-messages.js'
import { AuthenticationCode } from '../wire/message-codes.js'
import { chooseChannelBinding } from './channel-binding.js'
import { md5PasswordResponse } from './md5-password.js'
import type { RequireAuthMethod } from './require-auth.js'
import { ScramSha256Client } from './scram-sha-256.js'

/** The protocol's names, for errors. */
const requestNames = new Map<number, string>([
  [AuthenticationCode.ok, 'AuthenticationOk'],
  [AuthenticationCode.kerberosV5, 'AuthenticationKerberosV5'],
  [AuthenticationCode.cleartextPassword, 'AuthenticationCleartextPassword'],
  [AuthenticationCode.md5Password, 'AuthenticationMD5Password'],
  [AuthenticationCode.gss, 'AuthenticationGSS'],
  [AuthenticationCode.gssContinue, 'AuthenticationGSSContinue'],
  [AuthenticationCode.sspi, 'AuthenticationSSPI'],
  [AuthenticationCode.sasl, 'AuthenticationSASL'],
  [AuthenticationCode.saslContinue, 'AuthenticationSASLContinue'],
  [AuthenticationCode.saslFinal, 'AuthenticationSASLFinal'],
])

/** The require_auth method each request falls under, as libpq maps them. */
const requireAuthMethods = new Map<number, RequireAuthMethod>([
  [AuthenticationCode.cleartextPassword, 'password'],
  [AuthenticationCode.md5Password, 'md5'],
  [AuthenticationCode.gss, 'gss'],
  [AuthenticationCode.gssContinue, 'gss'],
  [AuthenticationCode.sspi, 'sspi'],
  [AuthenticationCode.sasl, 'scram-sha-256'],
  [AuthenticationCode.saslContinue, 'scram-sha-256'],
  [AuthenticationCode.saslFinal, 'scram-sha-256'],
])

const methodDescriptions: Record<RequireAuthMethod, string> = {
  password: 'a cleartext password',
  md5: 'an MD5-hashed password',
  'scram-sha-256': 'SCRAM-SHA-256',
  gss: 'GSSAPI',
  sspi: 'SSPI',
  none: 'no authentication at all',
}

const supported = new Set<number>([
  AuthenticationCode.ok,
  AuthenticationCode.cleartextPassword,
  AuthenticationCode.md5Password,
  AuthenticationCode.sasl,
  AuthenticationCode.saslContinue,
  AuthenticationCode.saslFinal,
])

type Step =
  /** Nothing answered yet. */
  | 'awaiting'
  /** Cleartext or MD5 answered: only AuthenticationOk may follow. */
  | 'password-sent'
  /** SASLInitialResponse sent: SASLContinue next. */
  | 'sasl-initial-sent'
  /** client-final-message sent: SASLFinal next. */
  | 'sasl-response-sent'
  /** The server proved it knows the password: AuthenticationOk next. */
  | 'sasl-verified'

/** What may come in each step; anything else is the server breaking the exchange. */
const expected: Record<Step, readonly number[]> = {
  awaiting: [
    AuthenticationCode.ok,
    AuthenticationCode.cleartextPassword,
    AuthenticationCode.md5Password,
    AuthenticationCode.sasl,
  ],
  'password-sent': [AuthenticationCode.ok],
  'sasl-initial-sent': [AuthenticationCode.saslContinue],
  'sasl-response-sent': [AuthenticationCode.saslFinal],
  'sasl-verified': [AuthenticationCode.ok],
}

/**
 * The client side of the authentication exchange, one server request at a time. Every request is
 * checked before anything is written: that it comes in order (no AuthenticationOk before a SCRAM
 * server signature was verified), then channel_binding=require and require_auth, as libpq's
 * check_expected_areq() does, so a refused request never gets a password, a hash or a proof.
 */
export class AuthenticationExchange {
  /** 'trust', 'cleartext', 'md5', 'SCRAM-SHA-256' or 'SCRAM-SHA-256-PLUS'. */
  method = 'trust'
  private step: Step = 'awaiting'
  private scram: ScramSha256Client | undefined

  constructor(
    private readonly socket: Socket,
    private readonly options: ResolvedConnectionOptions,
  ) {}

  /** Resolves once the answer is written; AuthenticationOk resolves with nothing to write. */
  async answer(request: AuthenticationRequest): Promise<void> {
    const name = requestNames.get(request.code) ?? `Authentication request ${request.code}`
    if (!supported.has(request.code)) {
      // The rules first, so that under require_auth=scram-sha-256 a GSS request says which rule.
      this.checkRules(request.code, name)
      throw new AuthenticationError(
        `the server asks for an authentication method this client does not support (${name})`,
        { request: name },
      )
    }
    this.checkOrder(request.code, name)
    this.checkRules(request.code, name)
    const { socket, options } = this
    switch (request.code) {
      case AuthenticationCode.ok:
        return
      case AuthenticationCode.cleartextPassword:
        this.method = 'cleartext'
        this.step = 'password-sent'
        socket.write(passwordMessage(this.password('cleartext password')))
        return
      case AuthenticationCode.md5Password:
        // The protocol's salt is 4 bytes; any other length is a broken message, not a salt.
        if (request.data.length !== 4) {
          throw new AuthenticationError(`${name}: the salt is ${request.data.length} bytes, not 4`, {
            request: name,
            field: 'salt',
          })
        }
        this.method = 'md5'
        this.step = 'password-sent'
        socket.write(passwordMessage(md5PasswordResponse(options.user, this.password('MD5'), request.data)))
        return
      case AuthenticationCode.sasl: {
        const mechanisms = parseSaslMechanisms(request.data)
        const scram = new ScramSha256Client(
          this.password('SCRAM-SHA-256'),
          chooseChannelBinding(socket, mechanisms, options),
        )
        if (!mechanisms.includes(scram.mechanism)) {
          throw new AuthenticationError(
            `the server offers SASL mechanisms ${mechanisms.join(', ')}; this client supports SCRAM-SHA-256(-PLUS)`,
            { request: name },
          )
        }
        this.scram = scram
        this.method = scram.mechanism
        this.step = 'sasl-initial-sent'
        socket.write(saslInitialResponse(scram.mechanism, scram.clientFirstMessage()))
        return
      }
      case AuthenticationCode.saslContinue: {
        const clientFinal = await this.scram!.clientFinalMessage(request.data)
        this.step = 'sasl-response-sent'
        socket.write(saslResponse(clientFinal))
        return
      }
      case AuthenticationCode.saslFinal:
        this.scram!.verifyServerFinal(request.data)
        this.step = 'sasl-verified'
        return
    }
  }

  private checkOrder(code: number, name: string): void {
    if (expected[this.step].includes(code)) return
    const scramUnfinished = this.step === 'sasl-initial-sent' || this.step === 'sasl-response-sent'
    const why =
      code === AuthenticationCode.ok && scramUnfinished
        ? 'before a SASLFinal proved the server knows the password; a server that skips it could be anyone'
        : `while the exchange is at ${this.step} (${this.method})`
    throw new AuthenticationError(`the server sent ${name} ${why}`, { request: name })
  }

  /** channel_binding=require, then require_auth, as libpq checks them. */
  private checkRules(code: number, name: string): void {
    const sasl =
      code === AuthenticationCode.sasl ||
      code === AuthenticationCode.saslContinue ||
      code === AuthenticationCode.saslFinal
    if (this.options.channelBinding === 'require') {
      const bound = this.scram?.mechanism === 'SCRAM-SHA-256-PLUS' && this.scram.verified
      if (!sasl && !(code === AuthenticationCode.ok && bound)) {
        throw new AuthenticationError(
          code === AuthenticationCode.ok
            ? `channel_binding=require, but the server authenticated the client without channel binding (${name} without SCRAM-SHA-256-PLUS)`
            : `channel_binding=require refuses ${name}: only SCRAM-SHA-256-PLUS authenticates the server, so nothing was sent`,
          { request: name, rule: 'channel_binding=require' },
        )
      }
    }
    const requireAuth = this.options.requireAuth
    if (!requireAuth) return
    // AuthenticationOk with nothing asked is trust ('none'); after an exchange it is its outcome.
    const method =
      code === AuthenticationCode.ok
        ? this.step === 'awaiting'
          ? 'none'
          : undefined
        : requireAuthMethods.get(code)
    if (method === undefined || requireAuth.allowed.has(method)) return
    const rule = `require_auth=${requireAuth.setting}`
    throw new AuthenticationError(
      method === 'none'
        ? `${rule} failed: the server did not authenticate the client (${name} without asking for anything)`
        : `${rule} failed: the server asked for ${methodDescriptions[method]} (${name}), which the rule does not allow; nothing was sent`,
      { request: name, rule },
    )
  }

  private password(method: string): string {
    if (this.options.password === undefined) {
      throw new AuthenticationError(`the server asks for ${method} authentication but no password was given`)
    }
    return this.options.password
  }
}
