import { describe, expect, it } from 'vitest'
import { AuthenticationError } from '../replication-errors.js'
import { md5PasswordResponse } from './md5-password.js'
import { maxScramIterations, ScramSha256Client } from './scram-sha-256.js'

const encode = (text: string) => new TextEncoder().encode(text)
const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes)

describe('SCRAM-SHA-256 client', () => {
  // The worked example of RFC 7677, section 3.
  const serverFirst = 'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096'

  it('produces the client proof of RFC 7677 and accepts its server signature', async () => {
    const client = new ScramSha256Client(
      'pencil',
      { tag: 'none', serverSupportsIt: false },
      'rOprNGfwEbeRWgbNEkqO',
      'user',
    )
    expect(decode(client.clientFirstMessage())).toBe('n,,n=user,r=rOprNGfwEbeRWgbNEkqO')
    expect(decode(await client.clientFinalMessage(encode(serverFirst)))).toBe(
      'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=',
    )
    expect(() =>
      client.verifyServerFinal(encode('v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=')),
    ).not.toThrow()
    expect(client.verified).toBe(true)
  })

  const rfcClient = async () => {
    const client = new ScramSha256Client(
      'pencil',
      { tag: 'none', serverSupportsIt: false },
      'rOprNGfwEbeRWgbNEkqO',
      'user',
    )
    client.clientFirstMessage()
    await client.clientFinalMessage(encode(serverFirst))
    return client
  }

  it('rejects a wrong server signature and a server error, naming the field', async () => {
    const client = await rfcClient()
    expect(() => client.verifyServerFinal(encode('v=AAAA'))).toThrow(AuthenticationError)
    // One bit off (6 → 7 in the first character), same length: the constant-time comparison itself must say no.
    expect(() => client.verifyServerFinal(encode('v=7rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4='))).toThrow(
      expect.objectContaining({ request: 'AuthenticationSASLFinal', field: 'v' }),
    )
    expect(() => client.verifyServerFinal(encode('e=invalid-proof'))).toThrow(
      expect.objectContaining({ message: 'SCRAM authentication failed: invalid-proof', field: 'e' }),
    )
    expect(client.verified).toBe(false)
  })

  it('takes each step once and in order', async () => {
    const client = new ScramSha256Client('pencil', { tag: 'none', serverSupportsIt: false }, 'abc')
    expect(() => client.verifyServerFinal(encode('v=AAAA'))).toThrow(/AuthenticationSASLFinal out of order/)
    await expect(client.clientFinalMessage(encode('r=abcdef,s=c2FsdA==,i=1'))).rejects.toThrow(
      /AuthenticationSASLContinue out of order/,
    )
    client.clientFirstMessage()
    await client.clientFinalMessage(encode('r=abcdef,s=c2FsdA==,i=1'))
    await expect(client.clientFinalMessage(encode('r=abcdef,s=c2FsdA==,i=1'))).rejects.toThrow(/out of order/)
  })

  it.each([
    ['r=xyz123,s=c2FsdA==,i=4096', 'r', /nonce does not extend/],
    ['r=abc,s=c2FsdA==,i=4096', 'r', /nonce does not extend/],
    ['r=abcdef,s=,i=4096', 's', /salt/],
    ['r=abcdef,s=not base64!,i=4096', 's', /salt/],
    ['r=abcdef,s=c2FsdA,i=4096', 's', /salt/],
    ['r=abcdef,s=c2FsdA==,i=0', 'i', /invalid iteration count/],
    ['r=abcdef,s=c2FsdA==,i=0x10', 'i', /invalid iteration count/],
    ['r=abcdef,s=c2FsdA==,i=1e3', 'i', /invalid iteration count/],
    ['r=abcdef,s=c2FsdA==', 'i', /invalid iteration count/],
    [`r=abcdef,s=c2FsdA==,i=${maxScramIterations + 1}`, 'i', /above the 1000000/],
    ['r=abcdef,s=c2FsdA==,i=2147483647', 'i', /above the 1000000/],
    ['m=ext,r=abcdef,s=c2FsdA==,i=1', 'm', /mandatory extension/],
  ])('refuses the server-first-message %s (field %s)', async (message, field, reason) => {
    const client = new ScramSha256Client('pencil', { tag: 'none', serverSupportsIt: false }, 'abc')
    client.clientFirstMessage()
    const failure = client.clientFinalMessage(encode(message))
    await expect(failure).rejects.toThrow(reason)
    await expect(failure).rejects.toMatchObject({ request: 'AuthenticationSASLContinue', field })
  })

  it('announces channel binding in the GS2 header', async () => {
    const plus = new ScramSha256Client(
      'p',
      { tag: 'tls-server-end-point', certificateHash: Uint8Array.of(1, 2) },
      'n1',
    )
    expect(plus.mechanism).toBe('SCRAM-SHA-256-PLUS')
    expect(decode(plus.clientFirstMessage())).toBe('p=tls-server-end-point,,n=*,r=n1')
    const final = decode(await plus.clientFinalMessage(encode('r=n1server,s=c2FsdA==,i=1')))
    // c= carries the header followed by the certificate hash.
    expect(Buffer.from(final.split(',')[0]!.slice(2), 'base64')).toEqual(
      Buffer.concat([Buffer.from('p=tls-server-end-point,,'), Buffer.from([1, 2])]),
    )
    const couldBind = new ScramSha256Client('p', { tag: 'none', serverSupportsIt: true }, 'n2')
    expect(decode(couldBind.clientFirstMessage())).toBe('y,,n=*,r=n2')
  })
})

describe('MD5 password', () => {
  it("answers 'md5' + md5(md5(password + user) + salt)", () => {
    // Computed independently with Python's hashlib.
    expect(md5PasswordResponse('owl', 'secret', Uint8Array.of(1, 2, 3, 4))).toBe(
      'md5fff30f46b938a7146956be36c2b7de09',
    )
  })
})
