import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type PostgresService, startPostgres } from '@factlib/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PostgresError } from './postgres-error.js'
import { ReplicationConnection } from './replication-connection.js'
import { ReplicationConnectionError } from './replication-errors.js'

/** A CA and a server certificate for "localhost" signed by it, plus an unrelated CA. */
function makeCertificates(dir: string): {
  caFile: string
  otherCaFile: string
  serverCert: string
  serverKey: string
} {
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' })
  for (const name of ['ca', 'other-ca']) {
    openssl(
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-sha256',
      '-days',
      '2',
      '-subj',
      `/CN=factlib test ${name}`,
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.crt`,
    )
  }
  openssl(
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-sha256',
    '-subj',
    '/CN=localhost',
    '-keyout',
    'server.key',
    '-out',
    'server.csr',
  )
  // Named for "localhost" only, so verify-full against 127.0.0.1 must fail.
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName = DNS:localhost\n')
  openssl(
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-days',
    '2',
    '-sha256',
    '-extfile',
    'server.ext',
    '-out',
    'server.crt',
  )
  return {
    caFile: join(dir, 'ca.crt'),
    otherCaFile: join(dir, 'other-ca.crt'),
    serverCert: readFileSync(join(dir, 'server.crt'), 'utf8'),
    serverKey: readFileSync(join(dir, 'server.key'), 'utf8'),
  }
}

describe('authentication and TLS against a dedicated PostgreSQL', () => {
  const password = 'wal-secret'
  let server: PostgresService
  let certificates: ReturnType<typeof makeCertificates>
  let dir: string

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'wal-tls-'))
    certificates = makeCertificates(dir)
    server = await startPostgres({
      password,
      settings: { ssl: 'on', ssl_cert_file: 'server.crt', ssl_key_file: 'server.key' },
      files: { 'server.crt': certificates.serverCert, 'server.key': certificates.serverKey },
      hba: [
        'host all md5_user 127.0.0.1/32 md5',
        'host all clear_user 127.0.0.1/32 password',
        'hostssl all all 127.0.0.1/32 scram-sha-256',
        'host all all 127.0.0.1/32 scram-sha-256',
      ],
    })
    const admin = await ReplicationConnection.connect({ connectionString: server.url, sslmode: 'disable' })
    await admin.query(
      `set password_encryption = 'md5'; create role md5_user login replication password 'md5-pass'`,
    )
    await admin.query(
      `reset password_encryption; create role clear_user login replication password 'clear-pass'`,
    )
    await admin.close()
  }, 120_000)

  afterAll(async () => {
    await server?.dispose()
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  const base = () => ({
    host: '127.0.0.1',
    port: server.port,
    user: server.user,
    password,
    database: 'postgres',
  })

  it('authenticates with SCRAM-SHA-256 over plain TCP', async () => {
    const connection = await ReplicationConnection.connect({ ...base(), sslmode: 'disable' })
    expect(connection.authenticationMethod).toBe('SCRAM-SHA-256')
    expect(connection.tls).toBe(false)
    expect((await connection.identifySystem()).dbName).toBe('postgres')
    await connection.close()
  })

  it('uses TLS with verify-full and binds the channel with SCRAM-SHA-256-PLUS', async () => {
    const connection = await ReplicationConnection.connect({
      ...base(),
      host: 'localhost',
      sslmode: 'verify-full',
      sslrootcert: certificates.caFile,
    })
    expect(connection.tls).toBe(true)
    expect(connection.authenticationMethod).toBe('SCRAM-SHA-256-PLUS')
    const { rows } = await connection.query('select ssl from pg_stat_ssl where pid = pg_backend_pid()')
    expect(rows).toEqual([['t']])
    await connection.close()
  })

  it('accepts the same certificate for an IP address with verify-ca, but not with verify-full', async () => {
    const verifyCa = await ReplicationConnection.connect({
      ...base(),
      sslmode: 'verify-ca',
      sslrootcert: certificates.caFile,
    })
    expect(verifyCa.tls).toBe(true)
    await verifyCa.close()
    const failure = ReplicationConnection.connect({
      ...base(),
      sslmode: 'verify-full',
      sslrootcert: certificates.caFile,
    })
    await expect(failure).rejects.toThrow(ReplicationConnectionError)
    await expect(failure).rejects.toThrow(/sslmode=verify-full.*(IP|127\.0\.0\.1)/)
  })

  it('rejects a certificate from another CA with a clear error', async () => {
    const failure = ReplicationConnection.connect({
      ...base(),
      host: 'localhost',
      sslmode: 'verify-full',
      sslrootcert: certificates.otherCaFile,
    })
    await expect(failure).rejects.toThrow(ReplicationConnectionError)
    await expect(failure).rejects.toThrow(
      /TLS with the server failed \(sslmode=verify-full, verifying the certificate\): .*certificate/,
    )
  })

  it('encrypts without verifying under sslmode=require', async () => {
    const connection = await ReplicationConnection.connect(
      `postgres://${server.user}:${password}@127.0.0.1:${server.port}/postgres?sslmode=require&application_name=wal-test`,
    )
    expect(connection.tls).toBe(true)
    const { rows } = await connection.query(
      'select application_name from pg_stat_activity where pid = pg_backend_pid()',
    )
    expect(rows).toEqual([['wal-test']])
    await connection.close()
  })

  it('authenticates with MD5 and with a cleartext password', async () => {
    const md5 = await ReplicationConnection.connect({
      ...base(),
      user: 'md5_user',
      password: 'md5-pass',
      sslmode: 'disable',
    })
    expect(md5.authenticationMethod).toBe('md5')
    await md5.close()
    const clear = await ReplicationConnection.connect({
      ...base(),
      user: 'clear_user',
      password: 'clear-pass',
      sslmode: 'disable',
    })
    expect(clear.authenticationMethod).toBe('cleartext')
    await clear.close()
  })

  it('turns a wrong password into a PostgresError with SQLSTATE 28P01', async () => {
    for (const sslmode of ['disable', 'require'] as const) {
      const failure = ReplicationConnection.connect({ ...base(), password: 'wrong', sslmode })
      await expect(failure).rejects.toBeInstanceOf(PostgresError)
      await expect(failure).rejects.toMatchObject({
        code: '28P01',
        severity: 'FATAL',
        message: expect.stringContaining(`password authentication failed for user "${server.user}"`),
      })
    }
    const md5 = ReplicationConnection.connect({
      ...base(),
      user: 'md5_user',
      password: 'nope',
      sslmode: 'disable',
    })
    await expect(md5).rejects.toMatchObject({ code: '28P01' })
  })

  it('says which setting is missing when no password is given', async () => {
    const failure = ReplicationConnection.connect({ ...base(), password: undefined, sslmode: 'disable' })
    await expect(failure).rejects.toThrow(/asks for SCRAM-SHA-256 authentication but no password was given/)
  })
})
