/**
 * Builds pgoutput messages byte by byte for tests, fuzzing and benchmarks: the inverse of the
 * decoder, written from the protocol description rather than from the decoder's code.
 */

const encoder = new TextEncoder()

export class ByteBuilder {
  private chunks: number[] = []

  byte(value: number): this {
    this.chunks.push(value & 0xff)
    return this
  }

  char(character: string): this {
    return this.byte(character.charCodeAt(0))
  }

  int16(value: number): this {
    return this.byte(value >> 8).byte(value)
  }

  int32(value: number): this {
    return this.byte(value >>> 24)
      .byte(value >>> 16)
      .byte(value >>> 8)
      .byte(value)
  }

  int64(value: bigint): this {
    const unsigned = BigInt.asUintN(64, value)
    return this.int32(Number(unsigned >> 32n)).int32(Number(unsigned & 0xffffffffn))
  }

  bytes(value: Uint8Array): this {
    for (const byte of value) this.chunks.push(byte)
    return this
  }

  cstring(value: string): this {
    return this.bytes(encoder.encode(value)).byte(0)
  }

  build(): Uint8Array {
    return Uint8Array.from(this.chunks)
  }
}

export type BuilderTupleValue = null | 'unchanged' | string | Uint8Array

export function tupleData(builder: ByteBuilder, values: BuilderTupleValue[]): ByteBuilder {
  builder.int16(values.length)
  for (const value of values) {
    if (value === null) builder.char('n')
    else if (value === 'unchanged') builder.char('u')
    else if (typeof value === 'string') {
      const bytes = encoder.encode(value)
      builder.char('t').int32(bytes.length).bytes(bytes)
    } else builder.char('b').int32(value.length).bytes(value)
  }
  return builder
}

export function withXid(builder: ByteBuilder, xid: number | undefined): ByteBuilder {
  return xid === undefined ? builder : builder.int32(xid)
}

export const build = {
  begin: (finalLsn: bigint, commitTime: bigint, xid: number) =>
    new ByteBuilder().char('B').int64(finalLsn).int64(commitTime).int32(xid).build(),
  commit: (commitLsn: bigint, endLsn: bigint, commitTime: bigint) =>
    new ByteBuilder().char('C').byte(0).int64(commitLsn).int64(endLsn).int64(commitTime).build(),
  message: (options: {
    transactional: boolean
    lsn: bigint
    prefix: string
    content: Uint8Array
    xid?: number
  }) =>
    withXid(new ByteBuilder().char('M'), options.xid)
      .byte(options.transactional ? 1 : 0)
      .int64(options.lsn)
      .cstring(options.prefix)
      .int32(options.content.length)
      .bytes(options.content)
      .build(),
  relation: (options: {
    relationId: number
    namespace: string
    name: string
    columns: { name: string; typeOid: number; isKey?: boolean }[]
    xid?: number
  }) => {
    const builder = withXid(new ByteBuilder().char('R'), options.xid)
      .int32(options.relationId)
      .cstring(options.namespace)
      .cstring(options.name)
      .char('d')
      .int16(options.columns.length)
    for (const column of options.columns) {
      builder
        .byte(column.isKey ? 1 : 0)
        .cstring(column.name)
        .int32(column.typeOid)
        .int32(-1)
    }
    return builder.build()
  },
  insert: (relationId: number, values: BuilderTupleValue[], xid?: number) =>
    tupleData(withXid(new ByteBuilder().char('I'), xid).int32(relationId).char('N'), values).build(),
  streamStart: (xid: number, first: boolean) =>
    new ByteBuilder()
      .char('S')
      .int32(xid)
      .byte(first ? 1 : 0)
      .build(),
  streamStop: () => new ByteBuilder().char('E').build(),
}
