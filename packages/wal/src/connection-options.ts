/// <reference types="node" preserve="true" />
import { parseRequireAuth, type RequireAuth } from './auth/require-auth.js'
import { ConnectionOptionsError } from './connection-options-error.js'
import { type HostAddress, pairHostsWithPorts, splitUriHosts } from './host-list.js'
import type { Logger } from './logger.js'
import { parseTargetSessionAttrs, type TargetSessionAttrs } from './target-session-attrs.js'

export type { RequireAuth, RequireAuthMethod } from './auth/require-auth.js'
export { ConnectionOptionsError } from './connection-options-error.js'
export type { HostAddress } from './host-list.js'
export type { TargetSessionAttrs } from './target-session-attrs.js'

export type SslMode = 'disable' | 'prefer' | 'require' | 'verify-ca' | 'verify-full'

const sslModes: readonly SslMode[] = ['disable', 'prefer', 'require', 'verify-ca', 'verify-full']

/** How to reach the server, named as libpq users know them. */
export interface ReplicationConnectionOptions {
  /**
   * `postgres://user:password@host:port/dbname?sslmode=...` or `host=... port=... dbname=...`.
   * Several servers as libpq takes them, `postgres://h1:5432,h2:5432/db` or `host=h1,h2`, are
   * tried in order; `target_session_attrs` says which one to settle on.
   */
  connectionString?: string
  /** Host name, IP address, or a directory holding the Unix socket; a comma-separated list tries each. Default localhost. */
  host?: string
  port?: number
  user?: string
  password?: string
  database?: string
  /** Default 'prefer', like libpq. */
  sslmode?: SslMode
  /** PEM file with the CA certificates that verify the server. */
  sslrootcert?: string
  applicationName?: string
  /** Give up connecting (TCP, TLS and authentication) after this long. Default 30 s. */
  connectTimeoutMs?: number
  /** SCRAM channel binding: 'prefer' (default) uses SCRAM-SHA-256-PLUS when TLS allows it. */
  channelBinding?: 'disable' | 'prefer' | 'require'
  /**
   * libpq's require_auth: the authentication requests the client answers, e.g. 'scram-sha-256' or
   * '!password,!md5' (methods password, md5, scram-sha-256, gss, sspi, none). Anything else is
   * refused before a password leaves. Default: any.
   */
  requireAuth?: string
  /** Which of several servers to use, as libpq: 'read-write' or 'primary' find the primary. Default 'any'. */
  targetSessionAttrs?: TargetSessionAttrs
  logger?: Logger
}

/** Options after parsing and defaults: what the connection actually uses. */
export interface ResolvedConnectionOptions {
  /** The first server of `hosts`. */
  host: string
  port: number
  /** Every server, in the order they are tried. */
  hosts: readonly HostAddress[]
  targetSessionAttrs: TargetSessionAttrs
  user: string
  password: string | undefined
  database: string
  sslmode: SslMode
  sslrootcert: string | undefined
  applicationName: string | undefined
  connectTimeoutMs: number
  channelBinding: 'disable' | 'prefer' | 'require'
  requireAuth: RequireAuth | undefined
}

type Settings = Partial<Record<string, string>>

/** Keywords of libpq that this client honours; anything else is rejected so typos do not pass. */
const knownKeywords = new Set([
  'host',
  'hostaddr',
  'port',
  'user',
  'password',
  'dbname',
  'sslmode',
  'sslrootcert',
  'application_name',
  'connect_timeout',
  'channel_binding',
  'require_auth',
  'replication',
  'target_session_attrs',
])

function parseUri(text: string): Settings {
  // URL cannot read a host list (h1:5432,h2:5432), so the host part is taken out first and
  // URL reads the rest around a placeholder host.
  const parts = /^(postgres(?:ql)?:\/\/)([^/?#]*)(.*)$/s.exec(text)
  const authority = parts?.[2] ?? ''
  const at = authority.lastIndexOf('@')
  const userInfo = authority.slice(0, at + 1)
  let url: URL
  let hosts: Settings
  try {
    url = new URL(`${parts?.[1]}${userInfo}placeholder${parts?.[3]}`)
    // A Unix socket directory in the host part arrives percent-encoded, e.g. %2Ftmp.
    hosts = splitUriHosts(authority.slice(at + 1))
  } catch {
    throw new ConnectionOptionsError('connection string is not a valid postgres:// URI')
  }
  const settings: Settings = { ...hosts }
  if (url.username) settings.user = decodeURIComponent(url.username)
  if (url.password) settings.password = decodeURIComponent(url.password)
  const path = url.pathname.replace(/^\//, '')
  if (path) settings.dbname = decodeURIComponent(path)
  for (const [key, value] of url.searchParams) settings[key] = value
  return settings
}

/** `keyword = value` pairs; values may be single-quoted with backslash escapes. */
function parseKeywordValue(text: string): Settings {
  const settings: Settings = {}
  let index = 0
  const skipSpaces = () => {
    while (index < text.length && /\s/.test(text[index]!)) index++
  }
  while (true) {
    skipSpaces()
    if (index >= text.length) return settings
    const keyStart = index
    while (index < text.length && text[index] !== '=' && !/\s/.test(text[index]!)) index++
    const key = text.slice(keyStart, index)
    skipSpaces()
    if (text[index] !== '=')
      throw new ConnectionOptionsError(`missing "=" after "${key}" in connection string`)
    index++
    skipSpaces()
    let value = ''
    if (text[index] === "'") {
      index++
      while (index < text.length && text[index] !== "'") {
        if (text[index] === '\\' && index + 1 < text.length) index++
        value += text[index++]
      }
      if (text[index] !== "'") throw new ConnectionOptionsError(`unterminated quoted value for "${key}"`)
      index++
    } else {
      while (index < text.length && !/\s/.test(text[index]!)) {
        if (text[index] === '\\' && index + 1 < text.length) index++
        value += text[index++]
      }
    }
    settings[key] = value
  }
}

export function parseConnectionString(text: string): Settings {
  const settings = /^postgres(ql)?:\/\//.test(text) ? parseUri(text) : parseKeywordValue(text)
  for (const key of Object.keys(settings)) {
    if (!knownKeywords.has(key)) throw new ConnectionOptionsError(`unsupported connection option "${key}"`)
  }
  return settings
}

function parseSslMode(text: string | undefined): SslMode | undefined {
  if (text === undefined || text === '') return undefined
  if (!sslModes.includes(text as SslMode)) {
    throw new ConnectionOptionsError(`invalid sslmode "${text}": expected one of ${sslModes.join(', ')}`)
  }
  return text as SslMode
}

function parseChannelBinding(text: string | undefined): 'disable' | 'prefer' | 'require' | undefined {
  if (text === undefined || text === '') return undefined
  if (text !== 'disable' && text !== 'prefer' && text !== 'require') {
    throw new ConnectionOptionsError(`invalid channel_binding "${text}"`)
  }
  return text
}

/**
 * Merges, in priority order: explicit options, the connection string, then the PG* environment
 * variables libpq reads (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE, PGSSLMODE, PGSSLROOTCERT,
 * PGAPPNAME, PGTARGETSESSIONATTRS, PGREQUIREAUTH), then libpq's defaults.
 */
export function resolveConnectionOptions(
  input: string | ReplicationConnectionOptions,
  env: NodeJS.ProcessEnv = process.env,
): ResolvedConnectionOptions {
  const options: ReplicationConnectionOptions =
    typeof input === 'string' ? { connectionString: input } : input
  const fromString = options.connectionString ? parseConnectionString(options.connectionString) : {}
  const user = options.user ?? fromString.user ?? env.PGUSER ?? env.USER ?? 'postgres'
  const connectTimeoutSeconds = fromString.connect_timeout ? Number(fromString.connect_timeout) : undefined
  if (connectTimeoutSeconds !== undefined && !(connectTimeoutSeconds >= 0)) {
    throw new ConnectionOptionsError(`invalid connect_timeout "${fromString.connect_timeout}"`)
  }
  const hosts = pairHostsWithPorts(
    options.host ?? fromString.host ?? fromString.hostaddr ?? env.PGHOST ?? 'localhost',
    options.port !== undefined ? String(options.port) : (fromString.port ?? env.PGPORT),
  )
  return {
    host: hosts[0]!.host,
    port: hosts[0]!.port,
    hosts,
    targetSessionAttrs:
      options.targetSessionAttrs ??
      parseTargetSessionAttrs(fromString.target_session_attrs) ??
      parseTargetSessionAttrs(env.PGTARGETSESSIONATTRS) ??
      'any',
    user,
    password: options.password ?? fromString.password ?? env.PGPASSWORD,
    database: options.database ?? fromString.dbname ?? env.PGDATABASE ?? user,
    sslmode: options.sslmode ?? parseSslMode(fromString.sslmode) ?? parseSslMode(env.PGSSLMODE) ?? 'prefer',
    sslrootcert: options.sslrootcert ?? fromString.sslrootcert ?? env.PGSSLROOTCERT,
    applicationName: options.applicationName ?? fromString.application_name ?? env.PGAPPNAME,
    connectTimeoutMs:
      options.connectTimeoutMs ??
      (connectTimeoutSeconds ? connectTimeoutSeconds * 1000 : undefined) ??
      30_000,
    channelBinding: options.channelBinding ?? parseChannelBinding(fromString.channel_binding) ?? 'prefer',
    requireAuth: parseRequireAuth(options.requireAuth ?? fromString.require_auth ?? env.PGREQUIREAUTH),
  }
}
