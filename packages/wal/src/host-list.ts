import { ConnectionOptionsError } from './connection-options-error.js'

/** One server of a connection string's host list. */
export interface HostAddress {
  /** Host name, IP address, or a directory holding the Unix socket. */
  host: string
  port: number
}

function parsePortText(text: string): number {
  const port = Number(text)
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new ConnectionOptionsError(`invalid port "${text}"`)
  return port
}

/**
 * libpq's pairing of `host=h1,h2` with `port=p1,p2`: one port applies to every host, otherwise
 * there must be one per host; an empty entry means 5432.
 */
export function pairHostsWithPorts(hostText: string, portText: string | undefined): HostAddress[] {
  const hosts = hostText.split(',').map((host) => host || 'localhost')
  const ports = (portText ?? '').split(',')
  if (ports.length !== 1 && ports.length !== hosts.length) {
    throw new ConnectionOptionsError(`could not match ${ports.length} port numbers to ${hosts.length} hosts`)
  }
  return hosts.map((host, index) => {
    const port = ports.length === 1 ? ports[0]! : ports[index]!
    return { host, port: port === '' ? 5432 : parsePortText(port) }
  })
}

/**
 * The host part of a URI, `h1:5432,[::1]:5433,%2Ftmp`, as libpq keyword values: `host=h1,::1,/tmp`
 * and `port=5432,5433,` (an empty port is the default). Percent-encoding is undone per host.
 */
export function splitUriHosts(hostPart: string): { host?: string; port?: string } {
  if (hostPart === '') return {}
  const hosts: string[] = []
  const ports: string[] = []
  for (const item of hostPart.split(',')) {
    const bracketed = /^\[([^\]]*)\](?::(.*))?$/.exec(item)
    if (bracketed) {
      hosts.push(bracketed[1]!)
      ports.push(bracketed[2] ?? '')
      continue
    }
    const colon = item.lastIndexOf(':')
    hosts.push(decodeURIComponent(colon >= 0 ? item.slice(0, colon) : item))
    ports.push(colon >= 0 ? item.slice(colon + 1) : '')
  }
  return {
    host: hosts.join(','),
    ...(ports.some((port) => port !== '') ? { port: ports.join(',') } : {}),
  }
}
