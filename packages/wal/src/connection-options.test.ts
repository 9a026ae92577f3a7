import { describe, expect, it } from 'vitest'
import {
  ConnectionOptionsError,
  parseConnectionString,
  resolveConnectionOptions,
} from './connection-options.js'

describe('connection options as libpq users know them', () => {
  it('parses URIs with percent-encoding and query parameters', () => {
    expect(
      parseConnectionString(
        'postgresql://owl%40x:p%2Fw@db.example:6543/facts?sslmode=verify-full&sslrootcert=/ca.pem&application_name=owlpost',
      ),
    ).toEqual({
      host: 'db.example',
      port: '6543',
      user: 'owl@x',
      password: 'p/w',
      dbname: 'facts',
      sslmode: 'verify-full',
      sslrootcert: '/ca.pem',
      application_name: 'owlpost',
    })
    expect(parseConnectionString('postgres://%2Fvar%2Frun%2Fpostgresql/db')).toMatchObject({
      host: '/var/run/postgresql',
      dbname: 'db',
    })
  })

  it('parses keyword/value strings with quoting and escapes', () => {
    expect(
      parseConnectionString(`host=localhost port = 5433 dbname='my db' password='it\\'s' user=owl`),
    ).toEqual({
      host: 'localhost',
      port: '5433',
      dbname: 'my db',
      password: "it's",
      user: 'owl',
    })
    expect(() => parseConnectionString("host='open")).toThrow(ConnectionOptionsError)
    expect(() => parseConnectionString('host localhost')).toThrow(/missing "="/)
    expect(() => parseConnectionString('hots=localhost')).toThrow('unsupported connection option "hots"')
  })

  it('gives explicit options priority over the string, the string over PG* variables, then defaults', () => {
    const env = { PGHOST: 'envhost', PGUSER: 'envuser', PGPASSWORD: 'envpw', PGSSLMODE: 'require' }
    expect(
      resolveConnectionOptions({ connectionString: 'host=strhost dbname=strdb', port: 7000 }, env),
    ).toEqual({
      host: 'strhost',
      port: 7000,
      hosts: [{ host: 'strhost', port: 7000 }],
      targetSessionAttrs: 'any',
      user: 'envuser',
      password: 'envpw',
      database: 'strdb',
      sslmode: 'require',
      sslrootcert: undefined,
      applicationName: undefined,
      connectTimeoutMs: 30_000,
      channelBinding: 'prefer',
      requireAuth: undefined,
    })
    expect(resolveConnectionOptions('user=a', {})).toMatchObject({
      host: 'localhost',
      port: 5432,
      database: 'a',
      sslmode: 'prefer',
    })
    expect(resolveConnectionOptions('connect_timeout=3', {}).connectTimeoutMs).toBe(3000)
    expect(() => resolveConnectionOptions('sslmode=verify', {})).toThrow(/invalid sslmode "verify"/)
    expect(() => resolveConnectionOptions('port=99999', {})).toThrow(/invalid port/)
  })

  it('takes several hosts as libpq does, in order, with target_session_attrs', () => {
    const uri = resolveConnectionOptions(
      'postgres://owl@h1:5433,[::1]:5434,%2Ftmp/db?target_session_attrs=read-write',
      {},
    )
    expect(uri.hosts).toEqual([
      { host: 'h1', port: 5433 },
      { host: '::1', port: 5434 },
      { host: '/tmp', port: 5432 },
    ])
    expect(uri).toMatchObject({
      host: 'h1',
      port: 5433,
      user: 'owl',
      database: 'db',
      targetSessionAttrs: 'read-write',
    })
    expect(resolveConnectionOptions('host=a,b port=6000 target_session_attrs=primary', {}).hosts).toEqual([
      { host: 'a', port: 6000 },
      { host: 'b', port: 6000 },
    ])
    expect(resolveConnectionOptions('host=a,b port=1,2', {}).hosts).toEqual([
      { host: 'a', port: 1 },
      { host: 'b', port: 2 },
    ])
    expect(() => resolveConnectionOptions('host=a,b,c port=1,2', {})).toThrow(
      'could not match 2 port numbers to 3 hosts',
    )
    expect(() => resolveConnectionOptions('target_session_attrs=writable', {})).toThrow(
      /invalid target_session_attrs "writable"/,
    )
    expect(resolveConnectionOptions('host=a', { PGTARGETSESSIONATTRS: 'standby' }).targetSessionAttrs).toBe(
      'standby',
    )
  })

  it('reads require_auth as libpq does: a list, or a list of negations, from the string or PGREQUIREAUTH', () => {
    const allowed = (text: string, env = {}) => [
      ...(resolveConnectionOptions(text, env).requireAuth?.allowed ?? []),
    ]
    expect(allowed('require_auth=scram-sha-256')).toEqual(['scram-sha-256'])
    expect(allowed('require_auth=none,scram-sha-256')).toEqual(['none', 'scram-sha-256'])
    expect(allowed('require_auth=!password,!md5').sort()).toEqual(['gss', 'none', 'scram-sha-256', 'sspi'])
    expect(allowed('require_auth=!none').sort()).toEqual(['gss', 'md5', 'password', 'scram-sha-256', 'sspi'])
    expect(resolveConnectionOptions('postgres://h/db?require_auth=md5', {}).requireAuth).toEqual({
      setting: 'md5',
      allowed: new Set(['md5']),
    })
    expect(allowed('host=a', { PGREQUIREAUTH: 'password' })).toEqual(['password'])
    // The string wins over the environment, the option over both.
    expect(allowed('require_auth=md5', { PGREQUIREAUTH: 'password' })).toEqual(['md5'])
    expect(
      resolveConnectionOptions({ connectionString: 'require_auth=md5', requireAuth: 'none' }, {}).requireAuth
        ?.setting,
    ).toBe('none')
    expect(resolveConnectionOptions('require_auth=', {}).requireAuth).toBeUndefined()
    expect(() => resolveConnectionOptions('require_auth=!md5,password', {})).toThrow(
      /negated and non-negated methods cannot be mixed/,
    )
    expect(() => resolveConnectionOptions('require_auth=scram', {})).toThrow(ConnectionOptionsError)
    expect(() => resolveConnectionOptions('require_auth=md5,,password', {})).toThrow(/unknown method ""/)
    expect(() => resolveConnectionOptions('require_auth=md5,md5', {})).toThrow(/listed more than once/)
  })
})
