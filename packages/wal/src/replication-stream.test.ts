import { setTimeout as sleep } from 'node:timers/promises'
import { afterEach, describe, expect, it } from 'vitest'
import { PostgresError } from './postgres-error.js'
import { ReplicationConnection } from './replication-connection.js'
import { ReplicationSilenceError, UnsupportedServerVersionError } from './replication-errors.js'
import type { ReplicationEvent } from './replication-stream.js'
import { errorResponse, FakeWalSender, keepalive, xlogData } from './test-support/fake-walsender.js'
import { build } from './test-support/pgoutput-builder.js'

/** Polls a condition; timing-independent, so the test holds on a loaded machine. */
async function until(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await sleep(10)
  }
}

let fake: Awaited<ReturnType<typeof FakeWalSender.start>> | undefined
afterEach(async () => {
  await fake?.stop()
  fake = undefined
})

async function streamFromFake(
  options: { statusIntervalMs?: number; silenceTimeoutMs?: number; confirmIntervalMs?: number } = {},
) {
  fake = await FakeWalSender.start()
  const connection = await ReplicationConnection.connect({
    host: '127.0.0.1',
    port: fake.port,
    user: 'u',
    sslmode: 'prefer',
  })
  const stream = await connection.startReplication({ slot: 's', publicationNames: ['p'], ...options })
  const socket = await fake.streaming
  return { connection, stream, socket, fake }
}

const message = (index: number) =>
  build.message({
    transactional: false,
    lsn: BigInt(index),
    prefix: 'p',
    content: new Uint8Array(200).fill(index & 0xff),
  })

describe('ReplicationStream against a fake walsender', () => {
  it('fails the iterator with ReplicationSilenceError after pinging the silent server at half time', async () => {
    const { stream, fake } = await streamFromFake({ silenceTimeoutMs: 400 })
    const started = performance.now()
    await expect(stream[Symbol.asyncIterator]().next()).rejects.toBeInstanceOf(ReplicationSilenceError)
    expect(performance.now() - started).toBeGreaterThanOrEqual(400)
    expect(fake.statusUpdates.some((update) => update.replyRequested)).toBe(true)
  })

  it('answers a keepalive that asks for a reply at once, confirming only what was acknowledged', async () => {
    const { stream, socket, fake } = await streamFromFake({ statusIntervalMs: 60_000 })
    stream.acknowledge(0x500n)
    socket.write(xlogData(0x900n, message(1)))
    socket.write(keepalive(0x1000n, true))
    const iterator = stream[Symbol.asyncIterator]()
    expect((await iterator.next()).value).toMatchObject({ tag: 'data', walStart: 0x900n })
    expect((await iterator.next()).value).toEqual({
      tag: 'keepalive',
      walEnd: 0x1000n,
      serverTime: 0n,
      replyRequested: true,
    })
    await until(() => fake.statusUpdates.length > 0)
    await sleep(50) // and nothing more follows
    expect(fake.statusUpdates).toEqual([
      { written: 0x900n, flushed: 0x500n, applied: 0x500n, replyRequested: false },
    ])
    await stream.close()
    expect(fake.queries).toEqual([
      `START_REPLICATION SLOT s LOGICAL 0/0 (proto_version '1', publication_names '"p"')`,
    ])
  })

  it('sends status updates periodically, monotonic and never past the acknowledged LSN', async () => {
    const { stream, fake } = await streamFromFake({ statusIntervalMs: 30 })
    const flushedValues = () => fake.statusUpdates.map((update) => update.flushed)
    await until(() => fake.statusUpdates.length >= 2)
    expect(flushedValues().every((value) => value === 0n)).toBe(true) // nothing acknowledged yet
    stream.acknowledge(0x200n)
    await until(() => flushedValues().includes(0x200n))
    stream.acknowledge(0x100n)
    stream.acknowledge(0x300n)
    await until(() => flushedValues().includes(0x300n))
    await stream.close()
    const flushed = flushedValues()
    expect(flushed.length).toBeGreaterThanOrEqual(4)
    expect(flushed).toContain(0x200n)
    expect(flushed.at(-1)).toBe(0x300n)
    expect(flushed.every((value, index) => index === 0 || value >= flushed[index - 1]!)).toBe(true)
  })

  it('confirms a moved position promptly, once per move, and at most once per confirmIntervalMs', async () => {
    const { stream, fake } = await streamFromFake({ statusIntervalMs: 60_000, confirmIntervalMs: 200 })
    const flushedValues = () => fake.statusUpdates.map((update) => update.flushed)
    const before = performance.now()
    stream.acknowledge(0x100n)
    await until(() => flushedValues().includes(0x100n))
    // Long before the 60 s periodic update: the move itself sent it.
    expect(performance.now() - before).toBeLessThan(5_000)
    // Moves within the interval share one update, sent no sooner than the interval allows.
    const firstAt = performance.now()
    stream.acknowledge(0x200n)
    stream.acknowledge(0x300n)
    await until(() => flushedValues().includes(0x300n))
    expect(performance.now() - firstAt).toBeGreaterThanOrEqual(150)
    expect(flushedValues()).toEqual([0x100n, 0x300n])
    // No move, no update: a lower or equal position is not news.
    stream.acknowledge(0x300n)
    stream.acknowledge(0x80n)
    await sleep(400)
    expect(flushedValues()).toEqual([0x100n, 0x300n])
    await stream.close()
  })

  it('sends no prompt updates without confirmIntervalMs', async () => {
    const { stream, fake } = await streamFromFake({ statusIntervalMs: 60_000 })
    stream.acknowledge(0x100n)
    await sleep(300)
    expect(fake.statusUpdates).toEqual([])
    await stream.close()
  })

  it('stops reading while the consumer does not pull, then delivers everything in order', async () => {
    const { stream, socket } = await streamFromFake()
    const count = 100_000 // ~22 MB of frames
    for (let index = 0; index < count; index++) socket.write(xlogData(BigInt(index), message(index)))
    await sleep(500)
    // The client read at most its high-water mark plus what the kernel buffers: the rest waits here.
    expect(socket.writableLength).toBeGreaterThan(8 * 1024 * 1024)
    let received = 0
    for await (const event of stream) {
      if (event.tag !== 'data' || event.message.tag !== 'message') throw new Error('unexpected event')
      if (event.message.lsn !== BigInt(received)) throw new Error(`out of order at ${received}`)
      if (++received === count) break
    }
    expect(received).toBe(count)
  })

  it('surfaces an ErrorResponse during streaming as PostgresError', async () => {
    const { stream, socket } = await streamFromFake()
    socket.write(errorResponse('55006', 'replication slot "s" is active for PID 42'))
    const error = await stream[Symbol.asyncIterator]()
      .next()
      .then(
        () => undefined,
        (rejection: unknown) => rejection,
      )
    // The class itself, not only its name: callers tell a server's refusal apart with instanceof.
    expect(error).toBeInstanceOf(PostgresError)
    expect(error).toMatchObject({ code: '55006', message: expect.stringContaining('is active for PID 42') })
  })

  it('reads received events without waiting, and leaves other messages to the iterator', async () => {
    const { stream, socket } = await streamFromFake()
    expect(stream.read()).toBeUndefined()
    const iterator = stream[Symbol.asyncIterator]()
    socket.write(
      Buffer.concat([
        xlogData(0x10n, message(1)),
        xlogData(0x20n, message(2)),
        keepalive(0x30n, false),
        errorResponse('57P01', 'terminating connection due to administrator command'),
      ]),
    )
    // The first event has to be waited for; the rest are read as they are already there.
    expect((await iterator.next()).value).toMatchObject({ tag: 'data', walStart: 0x10n })
    const read: ReplicationEvent[] = []
    await until(() => {
      for (let event = stream.read(); event; event = stream.read()) read.push(event)
      return read.length >= 2
    })
    expect(read).toMatchObject([
      { tag: 'data', walStart: 0x20n, message: { tag: 'message', lsn: 2n } },
      { tag: 'keepalive', walEnd: 0x30n },
    ])
    expect(stream.read()).toBeUndefined() // the ErrorResponse is the iterator's to report
    await expect(iterator.next()).rejects.toMatchObject({ name: 'PostgresError', code: '57P01' })
  })

  it('refuses options the server version cannot honour, naming option and versions', async () => {
    fake = await FakeWalSender.start('13.4')
    const connection = await ReplicationConnection.connect({ host: '127.0.0.1', port: fake.port, user: 'u' })
    expect(connection.serverVersion).toBe(130004)
    const failure = connection.startReplication({ slot: 's', publicationNames: ['p'], messages: true })
    await expect(failure).rejects.toBeInstanceOf(UnsupportedServerVersionError)
    await expect(failure).rejects.toThrow(
      'replication option messages needs PostgreSQL 14 or later; the server is 13.4',
    )
    await expect(
      connection.startReplication({ slot: 's', publicationNames: ['p'], protoVersion: 4 }),
    ).rejects.toThrow('proto_version 4 needs PostgreSQL 16')
    await connection.close()
  })
})

describe('START_REPLICATION command', () => {
  it('quotes publication names and adds each option only when given', async () => {
    fake = await FakeWalSender.start('16.2')
    const connection = await ReplicationConnection.connect({ host: '127.0.0.1', port: fake.port, user: 'u' })
    expect(
      connection.startReplicationCommand({
        slot: 'owl_1',
        startLsn: 0x16b374d848n,
        publicationNames: ['pub', 'we\'ird"name'],
        protoVersion: 4,
        messages: true,
        binary: false,
        streaming: true,
        twoPhase: true,
        origin: 'none',
      }),
    ).toBe(
      `START_REPLICATION SLOT owl_1 LOGICAL 16/B374D848 (proto_version '4', publication_names '"pub","we''ird""name"', messages 'on', binary 'off', streaming 'on', two_phase 'on', origin 'none')`,
    )
    expect(() => connection.startReplicationCommand({ slot: 'Bad-Name', publicationNames: ['p'] })).toThrow(
      RangeError,
    )
    expect(() =>
      connection.startReplicationCommand({
        slot: 's',
        publicationNames: ['p'],
        protoVersion: 1,
        streaming: true,
      }),
    ).toThrow('streaming needs protoVersion 2')
    await connection.close()
  })
})
