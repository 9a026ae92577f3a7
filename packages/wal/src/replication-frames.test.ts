import { describe, expect, it } from 'vitest'
import { PgoutputDecodeError } from './pgoutput-decode-error.js'
import { encodeStandbyStatusUpdate, parseReplicationFrame } from './replication-frames.js'
import { ByteBuilder } from './test-support/pgoutput-builder.js'

describe('replication frames', () => {
  it("parses XLogData 'w' with the payload as a view", () => {
    const frame = new ByteBuilder()
      .char('w')
      .int64(0x10n)
      .int64(0x20n)
      .int64(12345n)
      .bytes(Uint8Array.of(1, 2, 3))
      .build()
    const parsed = parseReplicationFrame(frame)
    expect(parsed).toMatchObject({ tag: 'xlog_data', walStart: 0x10n, walEnd: 0x20n, serverTime: 12345n })
    if (parsed.tag !== 'xlog_data') throw new Error('unreachable')
    expect([...parsed.data]).toEqual([1, 2, 3])
    expect(parsed.data.buffer).toBe(frame.buffer)
  })

  it("parses primary keepalive 'k'", () => {
    const frame = new ByteBuilder().char('k').int64(0x1234n).int64(-5n).byte(1).build()
    expect(parseReplicationFrame(frame)).toEqual({
      tag: 'keepalive',
      walEnd: 0x1234n,
      serverTime: -5n,
      replyRequested: true,
    })
  })

  it("encodes standby status update 'r' as 34 big-endian bytes", () => {
    const bytes = encodeStandbyStatusUpdate({
      written: 1n,
      flushed: 2n,
      applied: 3n,
      clientTime: 4n,
      replyRequested: true,
    })
    const expected = new ByteBuilder().char('r').int64(1n).int64(2n).int64(3n).int64(4n).byte(1).build()
    expect(bytes).toEqual(expected)
  })

  it('rejects truncated and unknown frames with PgoutputDecodeError', () => {
    const keepalive = new ByteBuilder().char('k').int64(1n).int64(1n).build()
    expect(() => parseReplicationFrame(keepalive)).toThrow(
      expect.objectContaining({
        name: 'PgoutputDecodeError',
        messageType: 'keepalive',
        field: 'replyRequested',
        offset: 17,
      }),
    )
    expect(() => parseReplicationFrame(Uint8Array.of(0x78))).toThrow(PgoutputDecodeError)
    expect(() => parseReplicationFrame(new Uint8Array(0))).toThrow(PgoutputDecodeError)
  })
})
