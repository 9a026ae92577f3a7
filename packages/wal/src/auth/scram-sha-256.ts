import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto'
import { AuthenticationError } from '../replication-errors.js'

/**
 * Client side of SCRAM-SHA-256 (RFC 5802, RFC 7677) as PostgreSQL uses it, optionally with
 * tls-server-end-point channel binding (SCRAM-SHA-256-PLUS, RFC 5929).
 */

export type ChannelBinding =
  | { tag: 'none'; serverSupportsIt: false }
  /** The client could bind but the server did not offer PLUS: 'y' tells a MITM-downgrade apart. */
  | { tag: 'none'; serverSupportsIt: true }
  | { tag: 'tls-server-end-point'; certificateHash: Uint8Array }

const encoder = new TextEncoder()

/** Best-effort SASLprep: NFKC and ASCII space mapping; PostgreSQL falls back to raw bytes likewise. */
function saslPrep(password: string): string {
  return password.replace(/[\u00a0\u1680\u2000-\u200b\u202f\u205f\u3000]/g, ' ').normalize('NFKC')
}

function hmac(key: Uint8Array, data: string | Uint8Array): Buffer {
  return createHmac('sha256', key).update(data).digest()
}

function parseAttributes(message: string, step: string): Map<string, string> {
  const attributes = new Map<string, string>()
  for (const part of message.split(',')) {
    const separator = part.indexOf('=')
    if (separator !== 1) throw new AuthenticationError(`SCRAM ${step}: malformed attribute "${part}"`)
    attributes.set(part[0]!, part.slice(2))
  }
  return attributes
}

export class ScramSha256Client {
  readonly mechanism: 'SCRAM-SHA-256' | 'SCRAM-SHA-256-PLUS'
  private readonly clientNonce: string
  private readonly gs2Header: string
  private readonly clientFirstBare: string
  private expectedServerSignature: Buffer | undefined

  constructor(
    private readonly password: string,
    private readonly binding: ChannelBinding,
    nonce = randomBytes(18).toString('base64'),
    // PostgreSQL takes the user from the startup message and ignores this one.
    username = '*',
  ) {
    this.mechanism = binding.tag === 'tls-server-end-point' ? 'SCRAM-SHA-256-PLUS' : 'SCRAM-SHA-256'
    this.clientNonce = nonce
    this.gs2Header =
      binding.tag === 'tls-server-end-point'
        ? 'p=tls-server-end-point,,'
        : binding.serverSupportsIt
          ? 'y,,'
          : 'n,,'
    this.clientFirstBare = `n=${username},r=${this.clientNonce}`
  }

  clientFirstMessage(): Uint8Array {
    return encoder.encode(this.gs2Header + this.clientFirstBare)
  }

  /** Answers the server-first-message with the client-final-message. */
  clientFinalMessage(serverFirst: Uint8Array): Uint8Array {
    const serverFirstText = Buffer.from(serverFirst).toString('utf8')
    const attributes = parseAttributes(serverFirstText, 'server-first-message')
    const nonce = attributes.get('r')
    const salt = attributes.get('s')
    const iterations = Number(attributes.get('i'))
    if (!nonce?.startsWith(this.clientNonce) || nonce.length === this.clientNonce.length) {
      throw new AuthenticationError(
        'SCRAM server-first-message: server nonce does not extend the client nonce',
      )
    }
    if (!salt) throw new AuthenticationError('SCRAM server-first-message: no salt')
    if (!Number.isInteger(iterations) || iterations < 1) {
      throw new AuthenticationError('SCRAM server-first-message: invalid iteration count')
    }
    const bindingData =
      this.binding.tag === 'tls-server-end-point'
        ? Buffer.concat([Buffer.from(this.gs2Header), this.binding.certificateHash])
        : Buffer.from(this.gs2Header)
    const clientFinalWithoutProof = `c=${bindingData.toString('base64')},r=${nonce}`
    const authMessage = `${this.clientFirstBare},${serverFirstText},${clientFinalWithoutProof}`
    const saltedPassword = pbkdf2Sync(
      saslPrep(this.password),
      Buffer.from(salt, 'base64'),
      iterations,
      32,
      'sha256',
    )
    const clientKey = hmac(saltedPassword, 'Client Key')
    const storedKey = createHash('sha256').update(clientKey).digest()
    const clientSignature = hmac(storedKey, authMessage)
    const proof = Buffer.alloc(clientKey.length)
    for (let index = 0; index < proof.length; index++)
      proof[index] = clientKey[index]! ^ clientSignature[index]!
    this.expectedServerSignature = hmac(hmac(saltedPassword, 'Server Key'), authMessage)
    return encoder.encode(`${clientFinalWithoutProof},p=${proof.toString('base64')}`)
  }

  /** Checks the server-final-message proves the server knows the password too. */
  verifyServerFinal(serverFinal: Uint8Array): void {
    const attributes = parseAttributes(Buffer.from(serverFinal).toString('utf8'), 'server-final-message')
    const error = attributes.get('e')
    if (error) throw new AuthenticationError(`SCRAM authentication failed: ${error}`)
    const signature = Buffer.from(attributes.get('v') ?? '', 'base64')
    const expected = this.expectedServerSignature
    if (!expected || signature.length !== expected.length || !timingSafeEqual(signature, expected)) {
      throw new AuthenticationError('SCRAM server-final-message: the server signature does not match')
    }
  }
}

/** tls-server-end-point: the certificate hashed with its signature's hash, SHA-256 for MD5/SHA-1. */
export function certificateEndPointHash(
  certificateDer: Uint8Array,
  signatureAlgorithm: string | undefined,
): Uint8Array {
  const algorithm = (signatureAlgorithm ?? '').toLowerCase()
  const hash = algorithm.includes('sha512') ? 'sha512' : algorithm.includes('sha384') ? 'sha384' : 'sha256'
  return createHash(hash).update(certificateDer).digest()
}
