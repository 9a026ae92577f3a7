import { ConnectionOptionsError } from '../connection-options-error.js'

/**
 * libpq's require_auth (PostgreSQL 16): which authentication requests the client answers. A comma
 * list of methods the server may use (`scram-sha-256`, `password,md5`), or of methods it must not
 * (`!password,!md5`); the two forms do not mix. `none` is the server asking for nothing (trust):
 * allowed by a plain list only if listed, by a negated list unless `!none` is.
 * gss and sspi are accepted so a libpq connection string works here; this client answers neither.
 */
export type RequireAuthMethod = 'password' | 'md5' | 'scram-sha-256' | 'gss' | 'sspi' | 'none'

const methods: readonly RequireAuthMethod[] = ['password', 'md5', 'scram-sha-256', 'gss', 'sspi', 'none']

export interface RequireAuth {
  /** As written, for error messages: 'scram-sha-256', '!password,!md5'. */
  readonly setting: string
  readonly allowed: ReadonlySet<RequireAuthMethod>
}

/** Parses a require_auth value; undefined or '' means no rule, as in libpq. */
export function parseRequireAuth(text: string | undefined): RequireAuth | undefined {
  if (text === undefined || text === '') return undefined
  const entries = text.split(',')
  const negated = entries[0]!.startsWith('!')
  const listed = new Set<RequireAuthMethod>()
  for (const entry of entries) {
    if (entry.startsWith('!') !== negated) {
      throw new ConnectionOptionsError(
        `invalid require_auth "${text}": negated and non-negated methods cannot be mixed`,
      )
    }
    const name = negated ? entry.slice(1) : entry
    if (!methods.includes(name as RequireAuthMethod)) {
      throw new ConnectionOptionsError(
        `invalid require_auth "${text}": unknown method "${name}" (expected ${methods.join(', ')}, each optionally with "!")`,
      )
    }
    if (listed.has(name as RequireAuthMethod)) {
      throw new ConnectionOptionsError(`invalid require_auth "${text}": "${name}" is listed more than once`)
    }
    listed.add(name as RequireAuthMethod)
  }
  const allowed = negated ? new Set(methods.filter((method) => !listed.has(method))) : listed
  return { setting: text, allowed }
}
