import { createHash, createHmac, pbkdf2, randomBytes, timingSafeEqual } from 'node:crypto'
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

/**
 * The most PBKDF2 iterations the client runs for a server. The count comes from the server, and
 * PostgreSQL's scram_iterations (16+) allows up to INT_MAX: 2^31-1 iterations take some 20 minutes
 * here, so a rogue server could hold a thread that long per connection attempt. PostgreSQL's
 * default is 4096 and OWASP's advice for PBKDF2-HMAC-SHA256 is 600,000; 1,000,000 leaves room above
 * both and costs about 0.66 s of one libuv thread-pool thread (Node 24 on the 2-core development
 * machine, `pbkdf2Sync` of 10^6 iterations: 656 ms; 10^5: 59 ms; 4096: 1 ms). A larger count fails
 * with an AuthenticationError on field 'i' before any computation.
 */
export const maxScramIterations = 1_000_000

const serverFirst = 'AuthenticationSASLContinue'
const serverFinal = 'AuthenticationSASLFinal'

/** Base64 as RFC 4648 writes it, padding included: Buffer.from() would skip what is not. */
const base64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/

function parseAttributes(message: string, request: string): Map<string, string> {
  const attributes = new Map<string, string>()
  for (const part of message.split(',')) {
    const separator = part.indexOf('=')
    if (separator !== 1) {
      throw new AuthenticationError(`SCRAM ${request}: malformed attribute "${part}"`, { request })
    }
    attributes.set(part[0]!, part.slice(2))
  }
  return attributes
}

function pbkdf2Sha256(password: string, salt: Uint8Array, iterations: number): Promise<Buffer> {
  // Asynchronous: on the thread pool, even the largest count allowed does not stall the event loop.
  return new Promise((resolve, reject) =>
    pbkdf2(password, salt, iterations, 32, 'sha256', (error, key) => (error ? reject(error) : resolve(key))),
  )
}

/**
 * One SCRAM exchange, in order: clientFirstMessage(), clientFinalMessage(server-first),
 * verifyServerFinal(server-final). Each step once; anything else is the server breaking the
 * exchange and fails with an AuthenticationError.
 */
export class ScramSha256Client {
  readonly mechanism: 'SCRAM-SHA-256' | 'SCRAM-SHA-256-PLUS'
  private readonly clientNonce: string
  private readonly gs2Header: string
  private readonly clientFirstBare: string
  private step: 'initial' | 'client-first-sent' | 'computing' | 'client-final-sent' | 'verified' = 'initial'
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

  /** True once the server-final-message proved the server knows the password. */
  get verified(): boolean {
    return this.step === 'verified'
  }

  clientFirstMessage(): Uint8Array {
    if (this.step !== 'initial') throw new Error('SCRAM client-first-message already sent')
    this.step = 'client-first-sent'
    return encoder.encode(this.gs2Header + this.clientFirstBare)
  }

  /** Answers the server-first-message with the client-final-message. */
  async clientFinalMessage(serverFirstMessage: Uint8Array): Promise<Uint8Array> {
    if (this.step !== 'client-first-sent') {
      throw new AuthenticationError(`SCRAM: ${serverFirst} out of order (the exchange is at ${this.step})`, {
        request: serverFirst,
      })
    }
    this.step = 'computing'
    const serverFirstText = Buffer.from(serverFirstMessage).toString('utf8')
    const attributes = parseAttributes(serverFirstText, serverFirst)
    const refuse = (field: string, what: string) =>
      new AuthenticationError(`SCRAM ${serverFirst} (server-first-message): ${what}`, {
        request: serverFirst,
        field,
      })
    if (attributes.has('m')) throw refuse('m', 'a mandatory extension this client does not know')
    const nonce = attributes.get('r')
    // Our nonce plus the server's: anything else answers some other exchange (a replay, a relay).
    if (!nonce?.startsWith(this.clientNonce) || nonce.length === this.clientNonce.length) {
      throw refuse('r', 'the server nonce does not extend the client nonce')
    }
    const saltText = attributes.get('s') ?? ''
    if (saltText === '' || !base64.test(saltText)) throw refuse('s', 'the salt is empty or not base64')
    const iterationText = attributes.get('i') ?? ''
    // Digits only: Number() would also take '0x10', '1e6' and ' 7'.
    const iterations = /^[1-9][0-9]{0,9}$/.test(iterationText) ? Number(iterationText) : Number.NaN
    if (!Number.isSafeInteger(iterations)) throw refuse('i', `invalid iteration count "${iterationText}"`)
    if (iterations > maxScramIterations) {
      throw refuse('i', `iteration count ${iterations} is above the ${maxScramIterations} this client runs`)
    }
    const bindingData =
      this.binding.tag === 'tls-server-end-point'
        ? Buffer.concat([Buffer.from(this.gs2Header), this.binding.certificateHash])
        : Buffer.from(this.gs2Header)
    const clientFinalWithoutProof = `c=${bindingData.toString('base64')},r=${nonce}`
    const authMessage = `${this.clientFirstBare},${serverFirstText},${clientFinalWithoutProof}`
    const saltedPassword = await pbkdf2Sha256(
      saslPrep(this.password),
      Buffer.from(saltText, 'base64'),
      iterations,
    )
    const clientKey = hmac(saltedPassword, 'Client Key')
    const storedKey = createHash('sha256').update(clientKey).digest()
    const clientSignature = hmac(storedKey, authMessage)
    const proof = Buffer.alloc(clientKey.length)
    for (let index = 0; index < proof.length; index++)
      proof[index] = clientKey[index]! ^ clientSignature[index]!
    this.expectedServerSignature = hmac(hmac(saltedPassword, 'Server Key'), authMessage)
    this.step = 'client-final-sent'
    return encoder.encode(`${clientFinalWithoutProof},p=${proof.toString('base64')}`)
  }

  /** Checks the server-final-message proves the server knows the password too. */
  verifyServerFinal(serverFinalMessage: Uint8Array): void {
    if (this.step !== 'client-final-sent') {
      throw new AuthenticationError(`SCRAM: ${serverFinal} out of order (the exchange is at ${this.step})`, {
        request: serverFinal,
      })
    }
    const attributes = parseAttributes(Buffer.from(serverFinalMessage).toString('utf8'), serverFinal)
    const error = attributes.get('e')
    if (error !== undefined) {
      throw new AuthenticationError(`SCRAM authentication failed: ${error}`, {
        request: serverFinal,
        field: 'e',
      })
    }
    const signatureText = attributes.get('v') ?? ''
    const signature = Buffer.from(signatureText, 'base64')
    const expected = this.expectedServerSignature!
    // Constant time: how much of a guess matched must not show in how long the refusal takes.
    if (
      !base64.test(signatureText) ||
      signature.length !== expected.length ||
      !timingSafeEqual(signature, expected)
    ) {
      throw new AuthenticationError(
        `SCRAM ${serverFinal} (server-final-message): the server signature does not match`,
        { request: serverFinal, field: 'v' },
      )
    }
    this.step = 'verified'
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
