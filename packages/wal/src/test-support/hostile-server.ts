import { createHash, createHmac, pbkdf2, randomBytes } from 'node:crypto'
import { createServer, type Server, type Socket } from 'node:net'
import { typed } from './fake-walsender.js'
import { ByteBuilder } from './pgoutput-builder.js'

/**
 * A server that plays a PostgreSQL server badly on purpose: each trick is a script for one
 * connection, and every frontend message the client sends is recorded, so a test can say both
 * how the client failed and what it gave away before failing.
 */

/** One frontend message: 'startup' for the untyped first one, else its type byte ('p', 'Q', 'X'). */
export interface FrontendMessage {
  code: string
  body: Buffer
}

/** The server's end of one connection, for a trick to drive. */
export class Peer {
  private buffer = Buffer.alloc(0)
  private startedUp = false
  private readonly queue: FrontendMessage[] = []
  private waiter: ((message: FrontendMessage | undefined) => void) | undefined
  private closed = false

  constructor(
    readonly socket: Socket,
    private readonly record: (message: FrontendMessage) => void,
  ) {
    socket.on('data', (chunk) => this.onData(chunk))
    socket.on('close', () => {
      this.closed = true
      this.waiter?.(undefined)
      this.waiter = undefined
    })
    socket.on('error', () => {})
  }

  /** The next frontend message, or undefined once the client has hung up. */
  next(): Promise<FrontendMessage | undefined> {
    const message = this.queue.shift()
    if (message || this.closed) return Promise.resolve(message)
    return new Promise((resolve) => {
      this.waiter = resolve
    })
  }

  send(...messages: Uint8Array[]): void {
    if (!this.socket.destroyed) for (const message of messages) this.socket.write(message)
  }

  private onData(chunk: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, chunk])
    while (true) {
      const typedMessage = this.startedUp
      const headerSize = typedMessage ? 5 : 4
      if (this.buffer.length < headerSize) return
      const length = this.buffer.readInt32BE(typedMessage ? 1 : 0)
      const total = typedMessage ? length + 1 : length
      if (this.buffer.length < total) return
      const message: FrontendMessage = {
        code: typedMessage ? String.fromCharCode(this.buffer[0]!) : 'startup',
        body: Buffer.from(this.buffer.subarray(headerSize, total)),
      }
      this.buffer = this.buffer.subarray(total)
      this.startedUp = true
      this.record(message)
      const waiter = this.waiter
      this.waiter = undefined
      if (waiter) waiter(message)
      else this.queue.push(message)
    }
  }
}

export type Trick = (peer: Peer) => Promise<void>

export class HostileServer {
  /** Every frontend message received, in order. */
  readonly received: FrontendMessage[] = []
  private server: Server
  private socket: Socket | undefined
  private onClosed: (() => void) | undefined
  /** Resolves when the client's connection has closed: everything it sent has been recorded. */
  readonly closed = new Promise<void>((resolve) => {
    this.onClosed = resolve
  })

  private constructor(trick: Trick) {
    this.server = createServer((socket) => {
      this.socket = socket
      socket.on('close', () => this.onClosed?.())
      const peer = new Peer(socket, (message) => this.received.push(message))
      void trick(peer).catch(() => socket.destroy())
    })
  }

  static async start(trick: Trick): Promise<HostileServer & { port: number }> {
    const hostile = new HostileServer(trick)
    await new Promise<void>((resolve) => hostile.server.listen(0, '127.0.0.1', resolve))
    const address = hostile.server.address()
    if (address === null || typeof address === 'string') throw new Error('no port')
    return Object.assign(hostile, { port: address.port })
  }

  /** The password-carrying messages ('p': PasswordMessage, SASLInitialResponse, SASLResponse). */
  get passwordMessages(): FrontendMessage[] {
    return this.received.filter((message) => message.code === 'p')
  }

  /** Whether any message the client sent holds these bytes, e.g. the password in clear. */
  sawBytes(text: string): boolean {
    return this.received.some((message) => message.body.includes(Buffer.from(text)))
  }

  async stop(): Promise<void> {
    this.socket?.destroy()
    await new Promise((resolve) => this.server.close(resolve))
  }
}

// Backend messages the tricks are made of.

export function authentication(code: number, data: Uint8Array = new Uint8Array(0)): Buffer {
  return typed('R', new ByteBuilder().int32(code).bytes(data).build())
}

export const authenticationOk = () => authentication(0)

function saslMechanisms(mechanisms: string[]): Buffer {
  const builder = new ByteBuilder()
  for (const mechanism of mechanisms) builder.cstring(mechanism)
  return authentication(10, builder.byte(0).build())
}

/** What follows AuthenticationOk on a real server: a parameter and ReadyForQuery. */
export function readyAfterAuthentication(): Buffer[] {
  return [
    typed('S', new ByteBuilder().cstring('server_version').cstring('16.4').build()),
    typed('Z', Uint8Array.of(0x49)),
  ]
}

/** Serves a connection that authenticated until the client sends Terminate or hangs up. */
async function serveUntilTerminate(peer: Peer): Promise<void> {
  peer.send(...readyAfterAuthentication())
  while (true) {
    const message = await peer.next()
    if (!message || message.code === 'X') break
  }
  peer.socket.end()
}

// The tricks.

/** AuthenticationOk straight away: trust, the server asks for nothing. */
export const trust: Trick = async (peer) => {
  await peer.next()
  peer.send(authenticationOk())
  await serveUntilTerminate(peer)
}

/** AuthenticationCleartextPassword (3), or AuthenticationMD5Password (5) with a salt. */
export function askPassword(kind: 'cleartext' | 'md5', salt = Uint8Array.of(1, 2, 3, 4)): Trick {
  return async (peer) => {
    await peer.next()
    peer.send(kind === 'cleartext' ? authentication(3) : authentication(5, salt))
    if (!(await peer.next())) return
    peer.send(authenticationOk())
    await serveUntilTerminate(peer)
  }
}

export interface ScramTrick {
  /** The password the server knows, for an honest server signature. */
  password: string
  mechanisms?: string[]
  iterations?: number
  /** The nonce the server answers with, given the client's; by default the client's plus its own. */
  nonce?: (clientNonce: string) => string
  /**
   * After the client-final-message: 'honest' SASLFinal then AuthenticationOk; 'early-ok' skips
   * SASLFinal; 'wrong-signature' sends a signature of the right length that is not the server's;
   * 'error' sends e=invalid-proof.
   */
  ending?: 'honest' | 'early-ok' | 'wrong-signature' | 'error'
}

/** A SCRAM-SHA-256 exchange (RFC 5802 server side) that can cheat at the end. */
export function scram(trick: ScramTrick): Trick {
  return async (peer) => {
    await peer.next()
    peer.send(saslMechanisms(trick.mechanisms ?? ['SCRAM-SHA-256']))
    const initial = await peer.next()
    if (!initial) return
    // SASLInitialResponse: mechanism, Int32 length, then "gs2-header,client-first-bare".
    const mechanismEnd = initial.body.indexOf(0)
    const clientFirst = initial.body.subarray(mechanismEnd + 5).toString('utf8')
    const clientFirstBare = clientFirst.slice(clientFirst.indexOf(',,') + 2)
    const clientNonce = /(?:^|,)r=([^,]*)/.exec(clientFirstBare)![1]!
    const salt = randomBytes(16)
    const iterations = trick.iterations ?? 4096
    const nonce = trick.nonce?.(clientNonce) ?? clientNonce + randomBytes(18).toString('base64')
    const serverFirst = `r=${nonce},s=${salt.toString('base64')},i=${iterations}`
    peer.send(authentication(11, Buffer.from(serverFirst)))
    const response = await peer.next()
    if (!response) return
    const clientFinal = response.body.toString('utf8')
    const withoutProof = clientFinal.slice(0, clientFinal.lastIndexOf(',p='))
    const authMessage = `${clientFirstBare},${serverFirst},${withoutProof}`
    const salted = await new Promise<Buffer>((resolve, reject) =>
      pbkdf2(trick.password, salt, iterations, 32, 'sha256', (error, key) =>
        error ? reject(error) : resolve(key),
      ),
    )
    const serverKey = createHmac('sha256', salted).update('Server Key').digest()
    const signature = createHmac('sha256', serverKey).update(authMessage).digest()
    switch (trick.ending ?? 'honest') {
      case 'honest':
        peer.send(authentication(12, Buffer.from(`v=${signature.toString('base64')}`)), authenticationOk())
        break
      case 'early-ok':
        peer.send(authenticationOk())
        break
      case 'wrong-signature': {
        const wrong = createHash('sha256').update(signature).digest()
        peer.send(authentication(12, Buffer.from(`v=${wrong.toString('base64')}`)), authenticationOk())
        break
      }
      case 'error':
        peer.send(authentication(12, Buffer.from('e=invalid-proof')))
        break
    }
    await serveUntilTerminate(peer)
  }
}

/**
 * An ErrorResponse declaring a body of `declaredBytes`, whose bytes then keep coming (up to
 * `sentBytes`) for as long as the client reads: a client that believes the length buffers it all.
 */
export function oversizedErrorResponse(declaredBytes: number, sentBytes: number): Trick {
  return async (peer) => {
    await peer.next()
    const header = Buffer.alloc(5)
    header[0] = 'E'.charCodeAt(0)
    header.writeInt32BE(declaredBytes + 4, 1)
    peer.send(header)
    const piece = Buffer.alloc(64 * 1024, 0x41)
    for (let sent = 0; sent < sentBytes && !peer.socket.destroyed; sent += piece.length) {
      if (!peer.socket.write(piece)) {
        await new Promise((resolve) => {
          peer.socket.once('drain', resolve)
          peer.socket.once('close', resolve)
        })
      }
    }
  }
}
