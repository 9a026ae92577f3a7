import { describe, expect, it } from 'vitest'
import { AuthenticationError } from '../replication-errors.js'
import { md5PasswordResponse } from './md5-password.js'
import { ScramSha256Client } from './scram-sha-256.js'

const encode = (text: string) => new TextEncoder().encode(text)
const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes)

describe('SCRAM-SHA-256 client', () => {
  // The worked example of RFC 7677, section 3.
  const serverFirst = 'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096'

  it('produces the client proof of RFC 7677 and accepts its server signature', () => {
    const client = new ScramSha256Client(
      'pencil',
      { tag: 'none', serverSupportsIt: false },
      'rOprNGfwEbeRWgbNEkqO',
      'user',
    )
    expect(decode(client.clientFirstMessage())).toBe('n,,n=user,r=rOprNGfwEbeRWgbNEkqO')
    expect(decode(client.clientFinalMessage(encode(serverFirst)))).toBe(
      'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=',
    )
    expect(() =>
      client.verifyServerFinal(encode('v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=')),
    ).not.toThrow()
  })

  it('rejects a wrong server signature, a server error, and a nonce that does not extend ours', () => {
    const client = new ScramSha256Client(
      'pencil',
      { tag: 'none', serverSupportsIt: false },
      'rOprNGfwEbeRWgbNEkqO',
      'user',
    )
    client.clientFinalMessage(encode(serverFirst))
    expect(() => client.verifyServerFinal(encode('v=AAAA'))).toThrow(AuthenticationError)
    expect(() => client.verifyServerFinal(encode('e=invalid-proof'))).toThrow(
      'SCRAM authentication failed: invalid-proof',
    )
    const other = new ScramSha256Client('pencil', { tag: 'none', serverSupportsIt: false }, 'abc')
    expect(() => other.clientFinalMessage(encode('r=xyz123,s=c2FsdA==,i=4096'))).toThrow(/nonce/)
  })

  it('announces channel binding in the GS2 header', () => {
    const plus = new ScramSha256Client(
      'p',
      { tag: 'tls-server-end-point', certificateHash: Uint8Array.of(1, 2) },
      'n1',
    )
    expect(plus.mechanism).toBe('SCRAM-SHA-256-PLUS')
    expect(decode(plus.clientFirstMessage())).toBe('p=tls-server-end-point,,n=*,r=n1')
    const final = decode(plus.clientFinalMessage(encode('r=n1server,s=c2FsdA==,i=1')))
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
