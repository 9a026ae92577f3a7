import { createServer, type Socket } from 'node:net'
import { describe, expect, it } from 'vitest'
import { parseServerVersion, ReplicationConnection } from './replication-connection.js'
import { ReplicationConnectionError } from './replication-errors.js'

describe('ReplicationConnection.connect failures', () => {
  it('gives up after connectTimeoutMs when the server accepts but never answers', async () => {
    const sockets: Socket[] = []
    let closedByClient = 0
    const server = createServer((socket) => {
      sockets.push(socket)
      socket.on('end', () => closedByClient++)
      socket.resume()
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const { port } = server.address() as { port: number }
    try {
      const started = performance.now()
      const failure = ReplicationConnection.connect({
        host: '127.0.0.1',
        port,
        user: 'u',
        connectTimeoutMs: 300,
      })
      await expect(failure).rejects.toThrow(ReplicationConnectionError)
      await expect(failure).rejects.toThrow(`connecting to 127.0.0.1:${port} took longer than 300 ms`)
      expect(performance.now() - started).toBeGreaterThanOrEqual(290)
      // The abandoned socket is closed, not leaked.
      await new Promise((resolve) => setTimeout(resolve, 100))
      expect(sockets.length).toBe(1)
      expect(closedByClient).toBe(1)
    } finally {
      for (const socket of sockets) socket.destroy()
      await new Promise((resolve) => server.close(resolve))
    }
  })

  it('names host and port when nothing listens', async () => {
    const server = createServer()
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const { port } = server.address() as { port: number }
    await new Promise((resolve) => server.close(resolve))
    await expect(ReplicationConnection.connect({ host: '127.0.0.1', port, user: 'u' })).rejects.toThrow(
      new RegExp(`cannot connect to PostgreSQL at 127\\.0\\.0\\.1:${port}: .*ECONNREFUSED`),
    )
  })
})

describe('server_version parsing', () => {
  it('maps server_version to server_version_num', () => {
    expect(parseServerVersion('15.18')).toBe(150018)
    expect(parseServerVersion('16.4 (Debian 16.4-1.pgdg120+1)')).toBe(160004)
    expect(parseServerVersion('17devel')).toBe(170000)
    expect(parseServerVersion('9.6.24')).toBe(90624)
  })
})
