import { describe, expect, it } from 'vitest'
import { PgoutputDecodeError } from './pgoutput-decode-error.js'
import { PgoutputDecoder } from './pgoutput-decoder.js'
import { ByteBuilder, build, tupleData } from './test-support/pgoutput-builder.js'

const relation = build.relation({
  relationId: 16393,
  namespace: 'public',
  name: 't',
  columns: [
    { name: 'id', typeOid: 23, isKey: true },
    { name: 'v', typeOid: 25 },
  ],
})

describe('PgoutputDecoder on messages the captured streams lack', () => {
  it('decodes two-phase messages (protocol v3)', () => {
    const decoder = new PgoutputDecoder()
    const beginPrepare = new ByteBuilder()
      .char('b')
      .int64(10n)
      .int64(20n)
      .int64(30n)
      .int32(7)
      .cstring('gid-1')
      .build()
    expect(decoder.decode(beginPrepare)).toEqual({
      tag: 'begin_prepare',
      prepareLsn: 10n,
      endLsn: 20n,
      prepareTime: 30n,
      xid: 7,
      gid: 'gid-1',
    })
    const prepare = new ByteBuilder()
      .char('P')
      .byte(0)
      .int64(10n)
      .int64(20n)
      .int64(30n)
      .int32(7)
      .cstring('gid-1')
      .build()
    expect(decoder.decode(prepare)).toEqual({
      tag: 'prepare',
      flags: 0,
      prepareLsn: 10n,
      endLsn: 20n,
      prepareTime: 30n,
      xid: 7,
      gid: 'gid-1',
    })
    const commitPrepared = new ByteBuilder()
      .char('K')
      .byte(0)
      .int64(40n)
      .int64(50n)
      .int64(60n)
      .int32(7)
      .cstring('gid-1')
      .build()
    expect(decoder.decode(commitPrepared)).toEqual({
      tag: 'commit_prepared',
      flags: 0,
      commitLsn: 40n,
      endLsn: 50n,
      commitTime: 60n,
      xid: 7,
      gid: 'gid-1',
    })
    const rollbackPrepared = new ByteBuilder()
      .char('r')
      .byte(0)
      .int64(20n)
      .int64(70n)
      .int64(30n)
      .int64(80n)
      .int32(8)
      .cstring('g2')
      .build()
    expect(decoder.decode(rollbackPrepared)).toEqual({
      tag: 'rollback_prepared',
      flags: 0,
      prepareEndLsn: 20n,
      rollbackEndLsn: 70n,
      prepareTime: 30n,
      rollbackTime: 80n,
      xid: 8,
      gid: 'g2',
    })
    const streamPrepare = new ByteBuilder()
      .char('p')
      .byte(0)
      .int64(1n)
      .int64(2n)
      .int64(3n)
      .int32(9)
      .cstring('g3')
      .build()
    expect(decoder.decode(streamPrepare)).toMatchObject({
      tag: 'stream_prepare',
      xid: 9,
      gid: 'g3',
      endLsn: 2n,
    })
  })

  it('decodes stream abort with and without the v4 parallel fields', () => {
    const decoder = new PgoutputDecoder()
    expect(decoder.decode(new ByteBuilder().char('A').int32(5).int32(6).build())).toEqual({
      tag: 'stream_abort',
      xid: 5,
      subXid: 6,
    })
    const v4 = new ByteBuilder().char('A').int32(5).int32(5).int64(99n).int64(1234n).build()
    expect(decoder.decode(v4)).toEqual({
      tag: 'stream_abort',
      xid: 5,
      subXid: 5,
      abortLsn: 99n,
      abortTime: 1234n,
    })
  })

  it('reads xids on data messages only inside a stream block', () => {
    const decoder = new PgoutputDecoder()
    decoder.decode(relation)
    expect(decoder.decode(build.insert(16393, ['1', null]))).not.toHaveProperty('xid')
    expect(decoder.decode(build.streamStart(42, true))).toEqual({
      tag: 'stream_start',
      xid: 42,
      firstSegment: true,
    })
    expect(decoder.inStreamBlock).toBe(true)
    expect(decoder.decode(build.insert(16393, ['2', 'unchanged'], 42))).toMatchObject({
      xid: 42,
      new: [{ tag: 'text', value: '2' }, { tag: 'unchanged' }],
    })
    const message = build.message({
      transactional: true,
      lsn: 5n,
      prefix: 'p',
      content: Uint8Array.of(9),
      xid: 42,
    })
    expect(decoder.decode(message)).toMatchObject({ tag: 'message', xid: 42, prefix: 'p' })
    expect(decoder.decode(build.streamStop())).toEqual({ tag: 'stream_stop' })
    expect(decoder.inStreamBlock).toBe(false)
  })

  it('decodes binary columns, both update forms and truncate flags', () => {
    const decoder = new PgoutputDecoder()
    decoder.decode(relation)
    const binary = decoder.decode(build.insert(16393, [Uint8Array.of(0, 0, 0, 1), 'x']))
    expect(binary).toMatchObject({
      new: [
        { tag: 'binary', value: Uint8Array.of(0, 0, 0, 1) },
        { tag: 'text', value: 'x' },
      ],
    })
    const withOld = tupleData(
      tupleData(new ByteBuilder().char('U').int32(16393).char('O'), ['1', 'a']).char('N'),
      ['1', 'b'],
    ).build()
    expect(decoder.decode(withOld)).toMatchObject({
      tag: 'update',
      old: [{ value: '1' }, { value: 'a' }],
      new: [{ value: '1' }, { value: 'b' }],
    })
    const plain = tupleData(new ByteBuilder().char('U').int32(16393).char('N'), ['1', 'c']).build()
    const update = decoder.decode(plain)
    expect(update).not.toHaveProperty('old')
    expect(update).not.toHaveProperty('key')
    const truncate = new ByteBuilder().char('T').int32(2).byte(3).int32(16393).int32(1).build()
    expect(decoder.decode(truncate)).toMatchObject({
      cascade: true,
      restartIdentity: true,
      relationIds: [16393, 1],
    })
  })
})

describe('PgoutputDecoder prefix reuse', () => {
  it('never hands one message the prefix of another', () => {
    const decoder = new PgoutputDecoder()
    const prefixes = ['fact', 'fact', 'facts', 'fact', '', 'fac', 'fact', 'héllo', 'héllo', 'hallo']
    const decoded = prefixes.map((prefix) => {
      const message = decoder.decode(
        build.message({ transactional: true, lsn: 1n, prefix, content: Uint8Array.of(7) }),
      )
      return message.tag === 'message' ? [message.prefix, [...message.content]] : []
    })
    expect(decoded).toEqual(prefixes.map((prefix) => [prefix, [7]]))
  })
})

describe('PgoutputDecoder on malformed input', () => {
  const decoder = new PgoutputDecoder()
  decoder.decode(relation)

  function decodeError(bytes: Uint8Array): PgoutputDecodeError {
    try {
      decoder.decode(bytes)
    } catch (error) {
      if (error instanceof PgoutputDecodeError) return error
      throw error
    }
    throw new Error('expected a PgoutputDecodeError')
  }

  it('names message, field and offset for truncated input', () => {
    const begin = build.begin(1n, 2n, 3)
    expect(decodeError(begin.subarray(0, begin.length - 1))).toMatchObject({
      messageType: 'begin',
      field: 'xid',
      offset: 17,
    })
    expect(decodeError(new Uint8Array(0))).toMatchObject({ messageType: 'unknown', field: 'tag', offset: 0 })
  })

  it('rejects an unknown tag', () => {
    expect(decodeError(Uint8Array.of(0x5a))).toMatchObject({
      field: 'tag',
      message: expect.stringContaining('0x5a'),
    })
  })

  it('rejects a content length past the end without reading it', () => {
    const message = build.message({ transactional: true, lsn: 1n, prefix: 'f', content: Uint8Array.of(1, 2) })
    const view = new DataView(message.buffer)
    view.setInt32(12, 1_000_000)
    expect(decodeError(message)).toMatchObject({ messageType: 'message', field: 'content' })
    view.setInt32(12, -1)
    expect(decodeError(message)).toMatchObject({ messageType: 'message', field: 'content' })
  })

  it('rejects invalid UTF-8 in strings and text values', () => {
    const prefix = new ByteBuilder()
      .char('M')
      .byte(1)
      .int64(1n)
      .bytes(Uint8Array.of(0x66, 0xc3, 0x28))
      .byte(0)
      .int32(0)
      .build()
    expect(decodeError(prefix)).toMatchObject({ messageType: 'message', field: 'prefix', offset: 10 })
    const value = new ByteBuilder()
      .char('I')
      .int32(16393)
      .char('N')
      .int16(1)
      .char('t')
      .int32(1)
      .byte(0xff)
      .build()
    expect(decodeError(value)).toMatchObject({ messageType: 'insert', field: 'new.value' })
  })

  it('rejects a string without terminator, a bad column kind and an unknown relation', () => {
    expect(
      decodeError(new ByteBuilder().char('O').int64(1n).bytes(Uint8Array.of(0x61, 0x62)).build()),
    ).toMatchObject({
      messageType: 'origin',
      field: 'name',
    })
    const kind = new ByteBuilder().char('I').int32(16393).char('N').int16(1).char('x').build()
    expect(decodeError(kind)).toMatchObject({ field: 'new.kind', offset: 8 })
    expect(decodeError(build.insert(777, ['1']))).toMatchObject({ field: 'relationId', offset: 1 })
    const hugeTruncate = new ByteBuilder().char('T').int32(0x7fffffff).byte(0).build()
    expect(decodeError(hugeTruncate)).toMatchObject({ messageType: 'truncate', field: 'relationIds' })
  })
})
