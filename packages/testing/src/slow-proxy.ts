import { connect, createServer, type Server, type Socket } from 'node:net'

/**
 * A TCP proxy in front of a real server that holds every chunk the server sends for `delayMs`:
 * a slow server, as a congested or overloaded primary looks from owlpost. It counts the
 * connections it was asked for and the most it had open at once.
 */
export interface SlowProxy {
  readonly port: number
  readonly accepted: number
  readonly open: number
  readonly mostOpen: number
  close(): Promise<void>
}

export async function startSlowProxy(
  target: { host: string; port: number },
  delayMs: number,
): Promise<SlowProxy> {
  const sockets = new Set<Socket>()
  let accepted = 0
  let open = 0
  let mostOpen = 0
  const server: Server = createServer((client) => {
    accepted++
    open++
    mostOpen = Math.max(mostOpen, open)
    const upstream = connect(target.port, target.host)
    sockets.add(client).add(upstream)
    client.pipe(upstream)
    upstream.on('data', (chunk: Buffer) => {
      setTimeout(() => {
        if (!client.destroyed) client.write(chunk)
      }, delayMs)
    })
    const end = () => {
      if (!client.destroyed || !upstream.destroyed) open--
      client.destroy()
      upstream.destroy()
    }
    client.once('close', end)
    upstream.once('close', end)
    client.on('error', () => {})
    upstream.on('error', () => {})
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  if (typeof address !== 'object' || address === null) throw new Error('proxy has no address')
  return {
    port: address.port,
    get accepted() {
      return accepted
    },
    get open() {
      return open
    },
    get mostOpen() {
      return mostOpen
    },
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      }),
  }
}
