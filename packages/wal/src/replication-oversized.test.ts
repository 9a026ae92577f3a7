import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { afterEach, describe, expect, it } from 'vitest'
import type { OversizedMessage } from './pgoutput-messages.js'
import { ReplicationConnection } from './replication-connection.js'
import {
  BackendMessageDecodeError,
  ReplicationConnectionError,
  ReplicationProtocolError,
  ReplicationSilenceError,
} from './replication-errors.js'
import type { ReplicationEvent } from './replication-stream.js'
import { copyData, FakeWalSender, xlogData } from './test-support/fake-walsender.js'
import { declaredHeader, hugeMessageHeader, writeHugeLogicalMessage } from './test-support/huge-messages.js'
import { ByteBuilder, build } from './test-support/pgoutput-builder.js'
import type { BackendMessageSource } from './wire/backend-message-source.js'

/**
 * A hostile or merely huge peer: messages of up to 1 GB and frames that declare more than they
 * send. Memory must stay bounded whatever the server says.
 * FACTLIB_WAL_HUGE_MB sets the size of the big message (default 1024, PostgreSQL's largest).
 */
const hugeBytes = Number(process.env.FACTLIB_WAL_HUGE_MB ?? 1024) * 1024 * 1024
const mib = 1024 * 1024

// A full collection on demand, so the test can tell memory held from garbage not yet collected.
setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void

let fake: Awaited<ReturnType<typeof FakeWalSender.start>> | undefined
afterEach(async () => {
  await fake?.stop()
  fake = undefined
})

async function connect() {
  fake = await FakeWalSender.start()
  const connection = await ReplicationConnection.connect({ host: '127.0.0.1', port: fake.port, user: 'u' })
  // The connection's source, to watch what it buffers.
  const source = (connection as unknown as { source: BackendMessageSource }).source
  return { connection, source, fake }
}

async function streamFromFake(options: { maxMessageBytes?: number; silenceTimeoutMs?: number } = {}) {
  const { connection, source, fake } = await connect()
  const stream = await connection.startReplication({ slot: 's', publicationNames: ['p'], ...options })
  const socket = await fake.streaming
  return { stream, source, socket, iterator: stream[Symbol.asyncIterator]() }
}

const small = (lsn: bigint, text: string) =>
  build.message({ transactional: false, lsn, prefix: 'small', content: Buffer.from(text) })

function oversized(event: ReplicationEvent | undefined): OversizedMessage {
  if (event?.tag !== 'data' || event.message.tag !== 'oversized') {
    throw new Error(`expected an oversized message, got ${JSON.stringify(event, (_, v) => String(v))}`)
  }
  return event.message
}

describe('oversized messages from a fake walsender', () => {
  it(`reads past a ${hugeBytes / mib} MiB logical message with bounded memory, then decodes the next`, {
    timeout: 300_000,
  }, async () => {
    const { stream, source, socket, iterator } = await streamFromFake()
    gc()
    const before = process.memoryUsage()
    let peakBuffered = 0
    let peakRss = before.rss
    let peakHeld = before.arrayBuffers
    const sampler = setInterval(() => {
      peakBuffered = Math.max(peakBuffered, source.bufferedBytes)
      peakRss = Math.max(peakRss, process.memoryUsage().rss)
    }, 2)
    // Every 500 ms: what survives a full collection is what the client holds.
    const heldSampler = setInterval(() => {
      // Twice: the first collection's freed buffers are released by a later sweep.
      gc()
      gc()
      peakHeld = Math.max(peakHeld, process.memoryUsage().arrayBuffers)
    }, 500)
    const started = performance.now()
    const sent = writeHugeLogicalMessage(socket, {
      walStart: 0x1000n,
      lsn: 0x1000n,
      transactional: true,
      prefix: 'huge-fact',
      contentLength: hugeBytes,
    }).then((content) => {
      socket.write(xlogData(0x2000n, small(0x2000n, 'after')))
      return content
    })
    const first = oversized((await iterator.next()).value)
    const elapsedMs = performance.now() - started
    const second = (await iterator.next()).value
    clearInterval(sampler)
    clearInterval(heldSampler)
    const content = await sent
    expect(first).toEqual({
      tag: 'oversized',
      type: 'M',
      byteLength: 1 + 1 + 8 + 'huge-fact'.length + 1 + 4 + hugeBytes,
      maxMessageBytes: 8 * mib,
      logical: {
        transactional: true,
        lsn: 0x1000n,
        prefix: 'huge-fact',
        contentLength: hugeBytes,
        contentHead: content.contentHead,
        contentSha256: content.sha256,
      },
    })
    expect(second).toMatchObject({ tag: 'data', message: { tag: 'message', prefix: 'small', lsn: 0x2000n } })
    expect(Buffer.from((second as { message: { content: Uint8Array } }).message.content).toString()).toBe(
      'after',
    )
    const rssGrowth = peakRss - before.rss
    const heldGrowth = peakHeld - before.arrayBuffers
    console.info(
      `${hugeBytes / mib} MiB oversized message in ${(elapsedMs / 1000).toFixed(2)} s`,
      `(${(hugeBytes / mib / (elapsedMs / 1000)).toFixed(0)} MiB/s);`,
      `peak bufferedBytes ${peakBuffered}; RSS growth ${(rssGrowth / mib).toFixed(1)} MiB;`,
      `buffers held (after a full GC, sampled every 500 ms) grew ${(heldGrowth / mib).toFixed(1)} MiB`,
    )
    // The source holds at most a socket chunk or two beyond the head it keeps, never the message.
    expect(peakBuffered).toBeLessThan(512 * 1024)
    // Held: the head and a chunk or two. RSS also counts 64 KiB socket reads not yet collected,
    // which V8 lets reach tens of MiB before a collection: a buffered message would be 1 GiB.
    expect(heldGrowth).toBeLessThan(8 * mib)
    expect(rssGrowth).toBeLessThan(128 * mib)
    await stream.close()
  })

  it('counts a slow oversized message as activity, but fails a server that stalls inside one', async () => {
    const { stream, socket, iterator } = await streamFromFake({
      maxMessageBytes: 64 * 1024,
      silenceTimeoutMs: 300,
    })
    // 16 pieces 60 ms apart: about a second of body, far longer than the silence timeout.
    const sent = writeHugeLogicalMessage(socket, {
      walStart: 1n,
      lsn: 1n,
      transactional: false,
      prefix: 'slow',
      contentLength: 16 * 64 * 1024,
      chunkBytes: 64 * 1024,
      delayMs: 60,
    })
    const first = oversized((await iterator.next()).value)
    expect(first.logical?.contentSha256).toBe((await sent).sha256)
    // Now the headers of a 10 MiB message and 100 KiB of its content, then nothing.
    socket.write(
      hugeMessageHeader({
        walStart: 2n,
        lsn: 2n,
        transactional: false,
        prefix: 'stall',
        contentLength: 10 * mib,
      }),
    )
    socket.write(Buffer.alloc(100 * 1024))
    await expect(iterator.next()).rejects.toBeInstanceOf(ReplicationSilenceError)
    await stream.close()
  })

  it('fails with ReplicationConnectionError, holding nothing, when the server closes inside a 500 MB message', async () => {
    const { source, socket, iterator } = await streamFromFake()
    const sent = writeHugeLogicalMessage(socket, {
      walStart: 1n,
      lsn: 1n,
      transactional: true,
      prefix: 'cut',
      contentLength: 500_000_000,
      closeAfter: 20 * mib,
    })
    await expect(iterator.next()).rejects.toBeInstanceOf(ReplicationConnectionError)
    expect((await sent).bytesWritten).toBe(20 * mib)
    expect(source.bufferedBytes).toBeLessThan(512 * 1024)
  })

  it('fails with BackendMessageDecodeError on an ErrorResponse that declares 500 MB, before buffering it', async () => {
    const { source, socket, iterator } = await streamFromFake()
    socket.write(declaredHeader('E', 500_000_000))
    socket.write(Buffer.alloc(1024 * 1024, 0x41))
    const error = await iterator.next().then(
      () => undefined,
      (caught: unknown) => caught,
    )
    expect(error).toBeInstanceOf(BackendMessageDecodeError)
    expect((error as Error).message).toMatch(/ErrorResponse \('E'\).*length.*500000000 bytes/)
    expect(source.bufferedBytes).toBeLessThan(2 * mib)
  })

  it('fails a DataRow over the default cap in reply to a query, outside streaming', async () => {
    const { connection, fake } = await connect()
    fake.socket!.write(declaredHeader('D', 9 * mib))
    await expect(connection.query('select 1')).rejects.toThrow(/DataRow \('D'\).*9437184 bytes/)
  })

  it('fails with ReplicationProtocolError on an oversized keepalive', async () => {
    const { socket, iterator } = await streamFromFake({ maxMessageBytes: 64 * 1024 })
    const body = new ByteBuilder().char('k').int64(1n).int64(0n).byte(0).build()
    socket.write(copyData(Buffer.concat([body, Buffer.alloc(200 * 1024)])))
    const error = await iterator.next().then(
      () => undefined,
      (caught: unknown) => caught,
    )
    expect(error).toBeInstanceOf(ReplicationProtocolError)
    expect((error as Error).message).toMatch(/frame 0x6b of 204818 bytes/)
  })

  it('rejects a maxMessageBytes that is not an integer of at least 64 KiB', async () => {
    const { connection } = await connect()
    for (const value of [1000, 65535.5, Number.NaN, 2 ** 31]) {
      await expect(
        connection.startReplication({ slot: 's', publicationNames: ['p'], maxMessageBytes: value }),
      ).rejects.toThrow(RangeError)
    }
    await expect(
      connection.startReplication({ slot: 's', publicationNames: ['p'], maxMessageBytes: 1000 }),
    ).rejects.toThrow(/maxMessageBytes/)
    await connection.close()
  })
})
