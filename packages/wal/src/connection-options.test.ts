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
      user: 'envuser',
      password: 'envpw',
      database: 'strdb',
      sslmode: 'require',
      sslrootcert: undefined,
      applicationName: undefined,
      connectTimeoutMs: 30_000,
      channelBinding: 'prefer',
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
})
