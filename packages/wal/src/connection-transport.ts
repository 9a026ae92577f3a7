/// <reference types="node" preserve="true" />
import { readFileSync } from 'node:fs'
import { isIP, connect as netConnect, type Socket } from 'node:net'
import { checkServerIdentity, type TLSSocket, connect as tlsConnect } from 'node:tls'
import type { ResolvedConnectionOptions } from './connection-options.js'
import { ReplicationConnectionError, ReplicationProtocolError } from './replication-errors.js'
import { sslRequest } from './wire/frontend-messages.js'

/** The socket a connection talks over: TCP or a Unix socket, then TLS as sslmode says. */

const sslResponseTimeoutMs = 10_000

export async function openSocket(options: ResolvedConnectionOptions): Promise<Socket> {
  const socket = options.host.startsWith('/')
    ? netConnect({ path: `${options.host}/.s.PGSQL.${options.port}` })
    : netConnect({ host: options.host, port: options.port })
  socket.setNoDelay(true)
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve)
    socket.once('error', (error) =>
      reject(
        new ReplicationConnectionError(
          `cannot connect to PostgreSQL at ${options.host}:${options.port}: ${error.message}`,
          { cause: error },
        ),
      ),
    )
  })
  return socket
}

/** The socket to start up on: `socket` itself, or TLS over it when sslmode asks and the server agrees. */
export async function negotiateTls(socket: Socket, options: ResolvedConnectionOptions): Promise<Socket> {
  if (options.sslmode === 'disable') return socket
  if (options.host.startsWith('/')) {
    if (options.sslmode === 'prefer') return socket
    throw new ReplicationConnectionError(`sslmode=${options.sslmode} is not possible over a Unix socket`)
  }
  const accepted = await requestSsl(socket)
  if (accepted) {
    socket.resume()
    return startTls(socket, options)
  }
  if (options.sslmode === 'prefer') return socket
  throw new ReplicationConnectionError(
    `the server does not support TLS, but sslmode=${options.sslmode} requires it`,
  )
}

/** Whether the connection runs over TLS. */
export function isTls(socket: Socket): socket is TLSSocket {
  return 'getPeerX509Certificate' in socket
}

/** Sends SSLRequest and reads the one-byte answer: 'S' (go TLS) or 'N' (no TLS). */
async function requestSsl(socket: Socket): Promise<boolean> {
  socket.write(sslRequest())
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => fail(new ReplicationConnectionError('no answer to SSLRequest')),
      sslResponseTimeoutMs,
    )
    const cleanUp = () => {
      clearTimeout(timer)
      socket.off('data', onData)
      socket.off('error', fail)
      socket.off('close', onClose)
    }
    const fail = (error: Error) => {
      cleanUp()
      reject(error)
    }
    const onClose = () =>
      fail(new ReplicationConnectionError('the server closed the connection during SSLRequest'))
    const onData = (chunk: Buffer) => {
      cleanUp()
      socket.pause()
      // Anything after the answer byte would be unencrypted data injected before the handshake.
      if (chunk.length !== 1) {
        reject(new ReplicationProtocolError('unexpected data after the answer to SSLRequest'))
      } else if (chunk[0] === 0x53) resolve(true)
      else if (chunk[0] === 0x4e) resolve(false)
      else reject(new ReplicationProtocolError(`invalid answer 0x${chunk[0]!.toString(16)} to SSLRequest`))
    }
    socket.on('data', onData)
    socket.once('error', fail)
    socket.once('close', onClose)
  })
}

async function startTls(socket: Socket, options: ResolvedConnectionOptions): Promise<TLSSocket> {
  const ca =
    options.sslrootcert && options.sslrootcert !== 'system' ? readFileSync(options.sslrootcert) : undefined
  // libpq: with a root certificate, 'require' verifies the chain like 'verify-ca'.
  const verifyChain = options.sslmode === 'verify-ca' || options.sslmode === 'verify-full' || ca !== undefined
  const verifyHost = options.sslmode === 'verify-full'
  const tlsSocket = tlsConnect({
    socket,
    ...(isIP(options.host) === 0 ? { servername: options.host } : {}),
    ...(ca ? { ca } : {}),
    rejectUnauthorized: verifyChain,
    // Check against the host we were given: with a pre-connected socket Node would assume 'localhost'.
    checkServerIdentity: verifyHost
      ? (_, certificate) => checkServerIdentity(options.host, certificate)
      : () => undefined,
  })
  await new Promise<void>((resolve, reject) => {
    tlsSocket.once('secureConnect', resolve)
    tlsSocket.once('error', (error) =>
      reject(
        new ReplicationConnectionError(
          `TLS with the server failed (sslmode=${options.sslmode}${verifyChain ? ', verifying the certificate' : ''}): ${error.message}`,
          { cause: error },
        ),
      ),
    )
  })
  return tlsSocket
}
