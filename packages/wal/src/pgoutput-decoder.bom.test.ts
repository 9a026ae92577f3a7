import { describe, expect, it } from 'vitest'
import { PgoutputDecoder } from './pgoutput-decoder.js'
import { ByteBuilder, build, tupleData } from './test-support/pgoutput-builder.js'
import { parseDataRow, parseErrorFields, parseParameterStatus } from './wire/backend-messages.js'

/**
 * A leading U+FEFF is part of the string, not a byte order mark to drop: a prefix "\uFEFFfact" is
 * not the prefix "fact". One test per string field the decoders read.
 */

const bom = '\uFEFF'
const withBom = `${bom}x`
/** Long enough to pass the ASCII fast path too, so both ways of decoding are covered. */
const longWithBom = `${bom}${'y'.repeat(100)}`

function decodeOne(bytes: Uint8Array, decoder = new PgoutputDecoder()) {
  return decoder.decode(bytes)
}

function relationWith(namespace: string, name: string, column: string): Uint8Array {
  return build.relation({ relationId: 1, namespace, name, columns: [{ name: column, typeOid: 25 }] })
}

function gidMessage(tag: string, gid: string): Uint8Array {
  const builder = new ByteBuilder().char(tag)
  if (tag === 'b') return builder.int64(1n).int64(2n).int64(3n).int32(4).cstring(gid).build()
  if (tag === 'r')
    return builder.byte(0).int64(1n).int64(2n).int64(3n).int64(4n).int32(5).cstring(gid).build()
  return builder.byte(0).int64(1n).int64(2n).int64(3n).int32(4).cstring(gid).build()
}

describe('a leading U+FEFF survives decoding', () => {
  for (const value of [withBom, longWithBom]) {
    const label = value.length > 10 ? 'long' : 'short'

    it(`in Message.prefix (${label}), also after the same prefix without it`, () => {
      const decoder = new PgoutputDecoder()
      const message = (prefix: string) =>
        build.message({ transactional: false, lsn: 1n, prefix, content: new Uint8Array(0) })
      expect(decoder.decode(message(value))).toMatchObject({ prefix: value })
      expect(decoder.decode(message(value.slice(1)))).toMatchObject({ prefix: value.slice(1) })
      expect(decoder.decode(message(value))).toMatchObject({ prefix: value })
    })

    it(`in an oversized Message.prefix (${label})`, () => {
      const head = build.message({
        transactional: false,
        lsn: 1n,
        prefix: value,
        content: new Uint8Array(10),
      })
      const { message } = new PgoutputDecoder().decodeOversized(
        head.subarray(0, head.length - 5),
        head.length,
        65536,
      )
      expect(message.logical?.prefix).toBe(value)
    })

    it(`in Origin.name (${label})`, () => {
      const origin = new ByteBuilder().char('O').int64(1n).cstring(value).build()
      expect(decodeOne(origin)).toMatchObject({ tag: 'origin', name: value })
    })

    it(`in Relation namespace, name and column names (${label})`, () => {
      expect(decodeOne(relationWith(value, `${value}t`, `${value}c`))).toMatchObject({
        namespace: value,
        name: `${value}t`,
        columns: [{ name: `${value}c` }],
      })
    })

    it(`in Type namespace and name (${label})`, () => {
      const type = new ByteBuilder().char('Y').int32(16400).cstring(value).cstring(`${value}n`).build()
      expect(decodeOne(type)).toMatchObject({ tag: 'type', namespace: value, name: `${value}n` })
    })

    it(`in text tuple values (${label})`, () => {
      const decoder = new PgoutputDecoder()
      decoder.decode(relationWith('public', 'items', 'name'))
      const insert = tupleData(new ByteBuilder().char('I').int32(1).char('N'), [value]).build()
      expect(decoder.decode(insert)).toMatchObject({ new: [{ tag: 'text', value }] })
    })

    for (const [tag, name] of [
      ['b', 'begin_prepare'],
      ['P', 'prepare'],
      ['K', 'commit_prepared'],
      ['r', 'rollback_prepared'],
      ['p', 'stream_prepare'],
    ] as const) {
      it(`in ${name} gid (${label})`, () => {
        expect(decodeOne(gidMessage(tag, value))).toMatchObject({ tag: name, gid: value })
      })
    }

    it(`in backend messages: ErrorResponse, ParameterStatus, DataRow (${label})`, () => {
      const error = new ByteBuilder()
        .char('S')
        .cstring('ERROR')
        .char('C')
        .cstring('XX000')
        .char('M')
        .cstring(value)
        .byte(0)
      expect(parseErrorFields(error.build())).toMatchObject({ message: value })
      expect(parseParameterStatus(new ByteBuilder().cstring(value).cstring(value).build())).toEqual({
        name: value,
        value,
      })
      const bytes = Buffer.from(value)
      const row = new ByteBuilder().int16(1).int32(bytes.length).bytes(bytes).build()
      expect(parseDataRow(row)).toEqual([value])
    })
  }
})
