import { createServer, type Server, type Socket } from 'node:net'
import { ByteBuilder } from './pgoutput-builder.js'

/**
 * An in-memory stand-in for a walsender, for unit tests of what a real server cannot be made to
 * do on demand (fall silent, report an old version). Trust authentication, one connection.
 */

export interface StatusUpdate {
  written: bigint
  flushed: bigint
  applied: bigint
  replyRequested: boolean
}

export function typed(code: string, body: Uint8Array = new Uint8Array(0)): Buffer {
  const header = Buffer.alloc(5)
  header[0] = code.charCodeAt(0)
  header.writeInt32BE(body.length + 4, 1)
  return Buffer.concat([header, body])
}

export function copyData(payload: Uint8Array): Buffer {
  return typed('d', payload)
}

export function xlogData(walStart: bigint, data: Uint8Array): Buffer {
  return copyData(new ByteBuilder().char('w').int64(walStart).int64(walStart).int64(0n).bytes(data).build())
}

export function keepalive(walEnd: bigint, replyRequested: boolean): Buffer {
  return copyData(
    new ByteBuilder()
      .char('k')
      .int64(walEnd)
      .int64(0n)
      .byte(replyRequested ? 1 : 0)
      .build(),
  )
}

export function errorResponse(code: string, message: string): Buffer {
  return typed(
    'E',
    new ByteBuilder()
      .char('S')
      .cstring('ERROR')
      .char('V')
      .cstring('ERROR')
      .char('C')
      .cstring(code)
      .char('M')
      .cstring(message)
      .byte(0)
      .build(),
  )
}

export class FakeWalSender {
  readonly statusUpdates: StatusUpdate[] = []
  readonly queries: string[] = []
  socket: Socket | undefined
  private server: Server
  private buffer = Buffer.alloc(0)
  private startedUp = false
  private onStreaming: ((socket: Socket) => void) | undefined
  streaming = new Promise<Socket>((resolve) => {
    this.onStreaming = resolve
  })

  private constructor(private readonly serverVersion: string) {
    this.server = createServer((socket) => {
      this.socket = socket
      socket.on('data', (chunk) => this.onData(socket, chunk))
      socket.on('error', () => {})
    })
  }

  static async start(serverVersion = '15.18'): Promise<FakeWalSender & { port: number }> {
    const fake = new FakeWalSender(serverVersion)
    await new Promise<void>((resolve) => fake.server.listen(0, '127.0.0.1', resolve))
    const address = fake.server.address()
    if (address === null || typeof address === 'string') throw new Error('no port')
    return Object.assign(fake, { port: address.port })
  }

  private onData(socket: Socket, chunk: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, chunk])
    while (true) {
      if (!this.startedUp) {
        if (this.buffer.length < 4) return
        const length = this.buffer.readInt32BE(0)
        if (this.buffer.length < length) return
        const code = this.buffer.readInt32BE(4)
        this.buffer = this.buffer.subarray(length)
        if (code === 80877103) {
          socket.write('N')
          continue
        }
        this.startedUp = true
        socket.write(typed('R', new ByteBuilder().int32(0).build()))
        socket.write(
          typed('S', new ByteBuilder().cstring('server_version').cstring(this.serverVersion).build()),
        )
        socket.write(typed('Z', Uint8Array.of(0x49)))
        continue
      }
      if (this.buffer.length < 5) return
      const length = this.buffer.readInt32BE(1)
      if (this.buffer.length < length + 1) return
      const code = String.fromCharCode(this.buffer[0]!)
      const body = this.buffer.subarray(5, length + 1)
      this.buffer = this.buffer.subarray(length + 1)
      this.onMessage(socket, code, body)
    }
  }

  private onMessage(socket: Socket, code: string, body: Buffer): void {
    if (code === 'Q') {
      const sql = body.subarray(0, body.length - 1).toString('utf8')
      this.queries.push(sql)
      if (sql.startsWith('START_REPLICATION')) {
        socket.write(typed('W', Uint8Array.of(0, 0, 0)))
        this.onStreaming?.(socket)
      } else {
        socket.write(typed('C', new ByteBuilder().cstring('SELECT 0').build()))
        socket.write(typed('Z', Uint8Array.of(0x49)))
      }
    } else if (code === 'd' && body[0] === 0x72) {
      this.statusUpdates.push({
        written: body.readBigUInt64BE(1),
        flushed: body.readBigUInt64BE(9),
        applied: body.readBigUInt64BE(17),
        replyRequested: body[33] === 1,
      })
    } else if (code === 'c') {
      socket.write(typed('c'))
      socket.write(typed('C', new ByteBuilder().cstring('START_STREAMING').build()))
      socket.write(typed('Z', Uint8Array.of(0x49)))
    } else if (code === 'X') {
      socket.end()
    }
  }

  async stop(): Promise<void> {
    this.socket?.destroy()
    await new Promise((resolve) => this.server.close(resolve))
  }
}
