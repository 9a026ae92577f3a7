import { afterEach, describe, expect, it } from 'vitest'
import { maxScramIterations } from './auth/scram-sha-256.js'
import type { ReplicationConnectionOptions } from './connection-options.js'
import { ReplicationConnection } from './replication-connection.js'
import { AuthenticationError } from './replication-errors.js'
import {
  askPassword,
  HostileServer,
  oversizedErrorResponse,
  scram,
  type Trick,
  trust,
} from './test-support/hostile-server.js'

const password = 'hostile-secret'
let hostile: (HostileServer & { port: number }) | undefined

afterEach(async () => {
  await hostile?.stop()
  hostile = undefined
})

async function serve(trick: Trick): Promise<HostileServer & { port: number }> {
  hostile = await HostileServer.start(trick)
  return hostile
}

function options(
  port: number,
  extra: Partial<ReplicationConnectionOptions> = {},
): ReplicationConnectionOptions {
  return {
    host: '127.0.0.1',
    port,
    user: 'owl',
    password,
    database: 'postgres',
    sslmode: 'disable',
    connectTimeoutMs: 5_000,
    ...extra,
  }
}

/** Connects, expecting failure; returns the error once the server has seen all the client sent. */
async function refused(
  server: HostileServer & { port: number },
  extra: Partial<ReplicationConnectionOptions> = {},
) {
  const error = await ReplicationConnection.connect(options(server.port, extra)).then(
    () => expect.fail('the connection should have been refused'),
    (failure: unknown) => failure,
  )
  await server.closed
  expect(error).toBeInstanceOf(AuthenticationError)
  return error as AuthenticationError
}

/** The longest the event loop went without running a 5 ms timer while `work` ran. */
async function longestStall<T>(
  work: () => Promise<T>,
): Promise<{ result: PromiseSettledResult<T>; stallMs: number }> {
  let last = performance.now()
  let stallMs = 0
  const probe = setInterval(() => {
    const now = performance.now()
    stallMs = Math.max(stallMs, now - last)
    last = now
  }, 5)
  const [result] = await Promise.allSettled([work()])
  clearInterval(probe)
  stallMs = Math.max(stallMs, performance.now() - last)
  return { result, stallMs }
}

describe('authentication against a hostile server', () => {
  it('completes an honest SCRAM exchange (the tricks below fail for their trick, not the fake)', async () => {
    const server = await serve(scram({ password }))
    const connection = await ReplicationConnection.connect(options(server.port))
    expect(connection.authenticationMethod).toBe('SCRAM-SHA-256')
    await connection.close()
    expect(server.received.map((message) => message.code)).toEqual(['startup', 'p', 'p', 'X'])
  })

  it('refuses AuthenticationOk sent before SASLFinal proved the server knows the password', async () => {
    const server = await serve(scram({ password, ending: 'early-ok' }))
    const error = await refused(server)
    expect(error).toMatchObject({ request: 'AuthenticationOk' })
    expect(error.message).toMatch(/before a SASLFinal/)
    // The proof left, as SCRAM requires, but the client went no further: no query, no Terminate.
    expect(server.received.map((message) => message.code)).toEqual(['startup', 'p', 'p'])
    expect(server.sawBytes(password)).toBe(false)
  })

  it('refuses a server signature that does not match', async () => {
    const server = await serve(scram({ password, ending: 'wrong-signature' }))
    const error = await refused(server)
    expect(error).toMatchObject({ request: 'AuthenticationSASLFinal', field: 'v' })
    expect(server.received.map((message) => message.code)).toEqual(['startup', 'p', 'p'])
  })

  it('refuses a server-final-message carrying e=', async () => {
    const server = await serve(scram({ password, ending: 'error' }))
    const error = await refused(server)
    expect(error).toMatchObject({ request: 'AuthenticationSASLFinal', field: 'e' })
    expect(error.message).toBe('SCRAM authentication failed: invalid-proof')
  })

  it('refuses a server nonce that does not extend the client nonce, before computing a proof', async () => {
    const server = await serve(scram({ password, nonce: () => 'someone-elses-nonce' }))
    const error = await refused(server)
    expect(error).toMatchObject({ request: 'AuthenticationSASLContinue', field: 'r' })
    // SASLInitialResponse only: no SASLResponse, so no proof for a relayed exchange.
    expect(server.received.map((message) => message.code)).toEqual(['startup', 'p'])
  })

  it('refuses a huge iteration count at once, without blocking the event loop', async () => {
    const server = await serve(scram({ password, iterations: 2 ** 31 - 1 }))
    const started = performance.now()
    const { result, stallMs } = await longestStall(() => refused(server))
    expect(performance.now() - started).toBeLessThan(1_000)
    expect(stallMs).toBeLessThan(100)
    expect(result).toMatchObject({
      status: 'fulfilled',
      value: { request: 'AuthenticationSASLContinue', field: 'i' },
    })
    expect(server.received.map((message) => message.code)).toEqual(['startup', 'p'])
  })

  it(`computes the largest allowed count (${maxScramIterations}) off the event loop`, async () => {
    const server = await serve(scram({ password, iterations: maxScramIterations }))
    const { result, stallMs } = await longestStall(() => ReplicationConnection.connect(options(server.port)))
    expect(result.status).toBe('fulfilled')
    expect(stallMs).toBeLessThan(100)
    if (result.status === 'fulfilled') await result.value.close()
  })

  it('refuses an MD5 request whose salt is not 4 bytes', async () => {
    const server = await serve(askPassword('md5', Uint8Array.of(1)))
    const error = await refused(server)
    expect(error).toMatchObject({ request: 'AuthenticationMD5Password', field: 'salt' })
    expect(server.passwordMessages).toEqual([])
  })

  describe('channel_binding=require: no password of any kind unless SCRAM-SHA-256-PLUS', () => {
    it('refuses a cleartext password request before sending anything', async () => {
      const server = await serve(askPassword('cleartext'))
      const error = await refused(server, { channelBinding: 'require' })
      expect(error).toMatchObject({
        request: 'AuthenticationCleartextPassword',
        rule: 'channel_binding=require',
      })
      expect(server.received.map((message) => message.code)).toEqual(['startup'])
      expect(server.sawBytes(password)).toBe(false)
    })

    it('refuses an MD5 request before sending anything', async () => {
      const server = await serve(askPassword('md5'))
      const error = await refused(server, { channelBinding: 'require' })
      expect(error).toMatchObject({ request: 'AuthenticationMD5Password', rule: 'channel_binding=require' })
      expect(server.passwordMessages).toEqual([])
    })

    it('refuses SCRAM-SHA-256 without PLUS before the SASLInitialResponse', async () => {
      const server = await serve(scram({ password }))
      const error = await refused(server, { channelBinding: 'require' })
      expect(error).toMatchObject({ request: 'AuthenticationSASL', rule: 'channel_binding=require' })
      expect(server.passwordMessages).toEqual([])
    })

    it('refuses trust: AuthenticationOk with no exchange at all', async () => {
      const server = await serve(trust)
      const error = await refused(server, { channelBinding: 'require' })
      expect(error).toMatchObject({ request: 'AuthenticationOk', rule: 'channel_binding=require' })
      expect(server.received.map((message) => message.code)).toEqual(['startup'])
    })
  })

  describe('require_auth', () => {
    it('scram-sha-256 refuses a cleartext password request before sending it', async () => {
      const server = await serve(askPassword('cleartext'))
      const error = await refused(server, { requireAuth: 'scram-sha-256' })
      expect(error).toMatchObject({
        request: 'AuthenticationCleartextPassword',
        rule: 'require_auth=scram-sha-256',
      })
      expect(error.message).toMatch(/asked for a cleartext password/)
      expect(server.received.map((message) => message.code)).toEqual(['startup'])
      expect(server.sawBytes(password)).toBe(false)
    })

    it('!md5 refuses an MD5 request from the connection string, before sending a hash', async () => {
      const server = await serve(askPassword('md5'))
      const error = await refused(server, {
        connectionString: `postgres://owl@127.0.0.1:${server.port}/postgres?require_auth=!md5,!password`,
      })
      expect(error).toMatchObject({
        request: 'AuthenticationMD5Password',
        rule: 'require_auth=!md5,!password',
      })
      expect(server.passwordMessages).toEqual([])
    })

    it('password refuses trust, a server that asks for nothing', async () => {
      const server = await serve(trust)
      const error = await refused(server, { requireAuth: 'password' })
      expect(error).toMatchObject({ request: 'AuthenticationOk', rule: 'require_auth=password' })
      expect(error.message).toMatch(/did not authenticate the client/)
      expect(server.received.map((message) => message.code)).toEqual(['startup'])
    })

    it('scram-sha-256 lets an honest SCRAM exchange through', async () => {
      const server = await serve(scram({ password }))
      const connection = await ReplicationConnection.connect(
        options(server.port, { requireAuth: 'scram-sha-256' }),
      )
      expect(connection.authenticationMethod).toBe('SCRAM-SHA-256')
      await connection.close()
    })
  })

  // BackendMessageSource refuses a body over its cap (8 MiB before streaming) from the length
  // header alone, so a 1 GiB ErrorResponse never reaches a buffer.
  it('ends an oversized ErrorResponse during startup in a typed error, not a big buffer', async () => {
    const server = await serve(oversizedErrorResponse(2 ** 30, 32 * 1024 * 1024))
    const started = performance.now()
    const failure = ReplicationConnection.connect(options(server.port))
    await expect(failure).rejects.toMatchObject({ name: 'BackendMessageDecodeError' })
    expect(performance.now() - started).toBeLessThan(1_000)
  })
})
