import { createHash } from 'node:crypto'
import { EventEmitter } from 'node:events'
import type { Socket } from 'node:net'
import { setImmediate as nextTurn } from 'node:timers/promises'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { AsynchronousMessages } from './asynchronous-messages.js'
import { silentLogger } from './logger.js'
import { PgoutputDecodeError } from './pgoutput-decode-error.js'
import { PgoutputDecoder } from './pgoutput-decoder.js'
import type { PgoutputMessage } from './pgoutput-messages.js'
import { defaultMaxMessageBytes } from './replication-commands.js'
import { type ReplicationEvent, ReplicationStreamImpl } from './replication-stream.js'
import { xlogData } from './test-support/fake-walsender.js'
import { type HugeLogicalMessage, hugeMessageHeader } from './test-support/huge-messages.js'
import { build } from './test-support/pgoutput-builder.js'
import { BackendMessageSource, truncatedHeadBytes } from './wire/backend-message-source.js'

/**
 * Oversized messages through the real source, stream and decoder, over a socket stand-in that
 * delivers the bytes in whatever pieces the test cuts them into.
 */

const cap = 64 * 1024

class PieceSocket extends EventEmitter {
  pause(): this {
    return this
  }
  resume(): this {
    return this
  }
  destroy(): this {
    return this
  }
}

function content(length: number): Buffer {
  const bytes = Buffer.alloc(length)
  for (let index = 0; index < length; index++) bytes[index] = (index * 13 + 5) & 0xff
  return bytes
}

/** A whole oversized logical message as the server frames it, and its content. */
function hugeMessage(message: Omit<HugeLogicalMessage, 'walStart'> & { walStart?: bigint }) {
  const body = content(message.contentLength)
  const frame = Buffer.concat([hugeMessageHeader({ walStart: message.lsn, ...message }), body])
  return { frame, body, sha256: createHash('sha256').update(body).digest('hex') }
}

const small = (lsn: bigint, text: string) =>
  xlogData(lsn, build.message({ transactional: false, lsn, prefix: 'small', content: Buffer.from(text) }))

/** Feeds `bytes` cut at `cuts`, one piece per turn of the event loop, and pulls `count` events. */
async function runThrough(
  bytes: Buffer,
  cuts: number[],
  count: number,
  /** Take what has arrived with read() first, as a busy consumer does, and wait only when it runs dry. */
  useRead = false,
): Promise<PgoutputMessage[]> {
  const socket = new PieceSocket()
  const source = new BackendMessageSource(socket as unknown as Socket)
  source.setLimits(Math.max(cap, defaultMaxMessageBytes), cap + 25)
  const stream = new ReplicationStreamImpl(
    source,
    () => {},
    async () => {},
    new PgoutputDecoder(),
    new AsynchronousMessages(silentLogger),
    {
      statusIntervalMs: 3_600_000,
      confirmIntervalMs: 0,
      silenceTimeoutMs: 0,
      maxMessageBytes: cap,
      logger: silentLogger,
    },
  )
  const points = [...new Set(cuts)].filter((cut) => cut > 0 && cut < bytes.length).sort((a, b) => a - b)
  const feed = async () => {
    let start = 0
    for (const end of [...points, bytes.length]) {
      socket.emit('data', bytes.subarray(start, end))
      start = end
      await nextTurn()
    }
  }
  const pull = async () => {
    const events: ReplicationEvent[] = []
    const iterator = stream[Symbol.asyncIterator]()
    for (let index = 0; index < count; index++) {
      const event = (useRead ? stream.read() : undefined) ?? (await iterator.next()).value
      events.push(event as ReplicationEvent)
    }
    return events
  }
  const [, events] = await Promise.all([feed(), pull()])
  await stream.close()
  expect(source.bufferedBytes).toBe(0)
  return events.map((event) => {
    if (event.tag !== 'data') throw new Error(`unexpected ${event.tag}`)
    return event.message
  })
}

describe('oversized logical messages cut into pieces', () => {
  const before = small(0x10n, 'before')
  const big = hugeMessage({ lsn: 0x20n, transactional: true, prefix: 'big-prefix', contentLength: 150_000 })
  const after = small(0x30n, 'after')
  const bytes = Buffer.concat([before, big.frame, after])
  const expected = [
    { tag: 'message', prefix: 'small', lsn: 0x10n },
    {
      tag: 'oversized',
      type: 'M',
      byteLength: big.frame.length - 5 - 25,
      maxMessageBytes: cap,
      logical: {
        transactional: true,
        lsn: 0x20n,
        prefix: 'big-prefix',
        contentLength: 150_000,
        contentHead: new Uint8Array(big.body.subarray(0, 64)),
        contentSha256: big.sha256,
      },
    },
    { tag: 'message', prefix: 'small', lsn: 0x30n },
  ]

  it('decodes the same whatever single point the bytes are cut at, around every header and boundary', async () => {
    const bigStart = before.length
    const headEnd = bigStart + 5 + truncatedHeadBytes
    const bigEnd = bigStart + big.frame.length
    const cuts: number[] = []
    // Every offset through the first message, the CopyData, XLogData and logical message headers
    // and into the content; then around the end of the head kept, and the end of the big message.
    for (let cut = 1; cut <= bigStart + 5 + 25 + 1 + 1 + 8 + 11 + 4 + 70; cut++) cuts.push(cut)
    for (let cut = headEnd - 8; cut <= headEnd + 8; cut++) cuts.push(cut)
    for (let cut = bigEnd - 8; cut <= bigEnd + after.length; cut++) cuts.push(cut)
    for (const cut of cuts) {
      expect(await runThrough(bytes, [cut], 3), `cut at ${cut}`).toMatchObject(expected)
      expect(await runThrough(bytes, [cut], 3, true), `cut at ${cut}, read() first`).toMatchObject(expected)
    }
    // All at once: read() finds the cut message already there and must leave it to next().
    expect(await runThrough(bytes, [], 3, true)).toMatchObject(expected)
  })

  it('decodes the same for any set of cuts, pulled with the iterator or with read() first', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.integer({ min: 1, max: bytes.length - 1 }), { maxLength: 24 }),
        async (cuts) => {
          expect(await runThrough(bytes, cuts, 3)).toMatchObject(expected)
        },
      ),
      { numRuns: 150 },
    )
  })

  it('digests a message whose prefix is longer than the head, leaving the prefix undefined', async () => {
    const long = hugeMessage({
      lsn: 0x40n,
      transactional: false,
      prefix: 'p'.repeat(70_000),
      contentLength: 100_000,
    })
    const [message] = await runThrough(Buffer.concat([long.frame, after]), [1000, 66_000, 70_020, 90_000], 2)
    expect(message).toEqual({
      tag: 'oversized',
      type: 'M',
      byteLength: long.frame.length - 30,
      maxMessageBytes: cap,
      logical: {
        transactional: false,
        lsn: 0x40n,
        prefix: undefined,
        contentLength: 100_000,
        contentHead: new Uint8Array(long.body.subarray(0, 64)),
        contentSha256: long.sha256,
      },
    })
  })

  it('reads the prefix from the head when only the content length straddles its end', async () => {
    // The head holds 65 511 bytes of the pgoutput message: 10 before the prefix, its NUL at 65 508.
    const prefix = 'q'.repeat(truncatedHeadBytes - 25 - 10 - 3)
    const edge = hugeMessage({ lsn: 0x50n, transactional: true, prefix, contentLength: 80_000 })
    const [message] = await runThrough(edge.frame, [], 1)
    expect(message).toMatchObject({
      tag: 'oversized',
      logical: { prefix, contentLength: 80_000, contentSha256: edge.sha256 },
    })
  })

  it('reads the xid before the flags inside a stream block (protocol v2)', async () => {
    const streamed = hugeMessage({
      lsn: 0x60n,
      transactional: true,
      prefix: 'in-stream',
      contentLength: 200_000,
      xid: 777,
    })
    const messages = await runThrough(
      Buffer.concat([
        xlogData(0x58n, build.streamStart(777, true)),
        streamed.frame,
        xlogData(0x70n, build.streamStop()),
        small(0x80n, 'after'),
      ]),
      [17, 4000, 70_000],
      4,
    )
    expect(messages).toMatchObject([
      { tag: 'stream_start', xid: 777 },
      {
        tag: 'oversized',
        type: 'M',
        xid: 777,
        logical: {
          transactional: true,
          lsn: 0x60n,
          prefix: 'in-stream',
          contentLength: 200_000,
          contentSha256: streamed.sha256,
        },
      },
      { tag: 'stream_stop' },
      { tag: 'message', prefix: 'small' },
    ])
  })
})

describe('PgoutputDecoder.decodeOversized', () => {
  it('gives only type and xid for a message other than a logical message', () => {
    const decoder = new PgoutputDecoder()
    decoder.decode(build.streamStart(9, true))
    const head = build.insert(5, ['x'.repeat(100)], 9)
    expect(decoder.decodeOversized(head, 20 * 1024 * 1024, cap)).toEqual({
      message: { tag: 'oversized', type: 'I', xid: 9, byteLength: 20 * 1024 * 1024, maxMessageBytes: cap },
    })
    expect(new PgoutputDecoder().decodeOversized(build.begin(1n, 2n, 3), 1_000_000, cap).message).toEqual({
      tag: 'oversized',
      type: 'B',
      byteLength: 1_000_000,
      maxMessageBytes: cap,
    })
  })

  it('names the field when the content length disagrees with the message size', () => {
    const head = build.message({ transactional: true, lsn: 1n, prefix: 'x', content: new Uint8Array(100) })
    expect(() => new PgoutputDecoder().decodeOversized(head, 500_000, cap)).toThrow(
      expect.objectContaining({
        name: 'PgoutputDecodeError',
        messageType: 'message',
        field: 'content.length',
      }),
    )
  })

  it('rejects an unknown tag and a head that is not cut short', () => {
    const decoder = new PgoutputDecoder()
    expect(() => decoder.decodeOversized(Uint8Array.of(0x21, 0, 0), 1_000_000, cap)).toThrow(
      PgoutputDecodeError,
    )
    expect(() => decoder.decodeOversized(Uint8Array.of(0x4d, 0, 0), 3, cap)).toThrow(/not cut short/)
  })
})
