import { describe, expect, it } from 'vitest'
import {
  commaList,
  flag,
  matching,
  nonNegativeInt,
  oneOf,
  optional,
  port,
  positiveInt,
  postgresUrl,
  readEnv,
  required,
  text,
  withDefault,
} from './env-rules.js'

const value = <T>(parsed: { ok: true; value: T } | { ok: false; problem: string }) =>
  parsed.ok ? parsed.value : `problem: ${parsed.problem}`

describe('env rules', () => {
  it('reads whole numbers within their bounds', () => {
    expect(value(positiveInt('42'))).toBe(42)
    expect(value(positiveInt(' 7 '))).toBe(7)
    expect(value(positiveInt('0'))).toBe('problem: must be greater than 0')
    expect(value(positiveInt('1.5'))).toBe('problem: must be a whole number')
    expect(value(nonNegativeInt('0'))).toBe(0)
    expect(value(nonNegativeInt('-1'))).toBe('problem: must be 0 or more')
    expect(value(positiveInt('ten'))).toBe('problem: must be a number')
    expect(value(port('65535'))).toBe(65535)
    expect(value(port('0'))).toBe('problem: must be a port number from 1 to 65535')
    expect(value(port('65536'))).toBe('problem: must be a port number from 1 to 65535')
  })

  it('reads flags and choices', () => {
    expect(['true', 'TRUE', '1', 'yes'].map((raw) => value(flag(raw)))).toEqual([true, true, true, true])
    expect(['false', 'No', '0'].map((raw) => value(flag(raw)))).toEqual([false, false, false])
    expect(value(flag('maybe'))).toBe('problem: must be true or false')
    expect(value(oneOf('a', 'b')('b'))).toBe('b')
    expect(value(oneOf('a', 'b')('c'))).toBe('problem: must be one of: a, b')
  })

  it('reads comma lists, patterns and PostgreSQL URLs', () => {
    const list = commaList('broker', /^\w+:\d+$/, 'each broker must be host:port')
    expect(value(list(' k1:9092, ,k2:9093 '))).toEqual(['k1:9092', 'k2:9093'])
    expect(value(list(' , '))).toBe('problem: must name at least one broker')
    expect(value(list('k1:9092,k2'))).toBe('problem: each broker must be host:port')
    expect(value(matching(/^[a-z]+$/, 'must be lower-case')('Slot'))).toBe('problem: must be lower-case')
    expect(value(postgresUrl('postgresql://u@h/db'))).toBe('postgresql://u@h/db')
    expect(value(postgresUrl('mysql://u@h/db'))).toBe('problem: must be a postgres:// or postgresql:// URL')
    expect(value(postgresUrl('not a url'))).toBe('problem: must be a postgres:// or postgresql:// URL')
    const hosts = 'postgres://u@h1:5432,h2:5433/db?target_session_attrs=read-write'
    expect(value(postgresUrl(hosts))).toBe(hosts)
    expect(value(postgresUrl('postgres://h1,h2/db?target_session_attrs=any-old'))).toMatch(
      /^problem: must be a postgres:\/\/ URL: invalid target_session_attrs "any-old"/,
    )
  })

  it('applies defaults to unset and empty variables and collects every problem', () => {
    const spec = {
      NAME: withDefault(text, 'owlpost'),
      PORT: withDefault(port, 3001),
      CA: optional(text),
      URL: required(postgresUrl),
      COUNT: required(positiveInt),
    }
    expect(readEnv(spec, { NAME: '', URL: 'postgres://h/db', COUNT: '3' })).toEqual({
      ok: true,
      env: { NAME: 'owlpost', PORT: 3001, CA: undefined, URL: 'postgres://h/db', COUNT: 3 },
    })
    expect(readEnv(spec, { PORT: 'x', COUNT: '-1' })).toEqual({
      ok: false,
      problems: [
        { variable: 'PORT', message: 'must be a number' },
        { variable: 'URL', message: 'is required but not set' },
        { variable: 'COUNT', message: 'must be greater than 0' },
      ],
    })
  })
})
