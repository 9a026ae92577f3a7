import { createHash } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ReplicationConnection } from './replication-connection.js'
import { collect, type ReplicationFixture, replicationFixture } from './test-support/replication-fixture.js'

/** A real server's 20 MB logical message against a 1 MiB cap, between two small ones. */

const mib = 1024 * 1024
const repeats = 2 * mib // of '0123456789': 20 MiB
const bigContent = Buffer.from('0123456789'.repeat(repeats))

describe('oversized messages from PostgreSQL', () => {
  let fixture: ReplicationFixture
  beforeAll(async () => {
    fixture = await replicationFixture('wal_oversized')
  })
  afterAll(() => fixture?.dispose())

  it('reads past a 20 MiB logical message with maxMessageBytes 1 MiB and delivers the small ones around it', {
    timeout: 120_000,
  }, async () => {
    const connection = await ReplicationConnection.connect(fixture.url)
    const stream = await connection.startReplication({
      slot: fixture.slot,
      publicationNames: ['pub'],
      messages: true,
      maxMessageBytes: mib,
    })
    await fixture.sql(`begin;
      select pg_logical_emit_message(true, 'fact', 'first');
      select pg_logical_emit_message(true, 'fact', repeat('0123456789', ${repeats}));
      select pg_logical_emit_message(true, 'fact', 'last');
      commit;`)
    const { messages } = await collect(
      stream,
      (received) => received.some((message) => message.tag === 'commit'),
      {
        acknowledge: true,
        timeoutMs: 60_000,
      },
    )
    await stream.close()
    const logical = messages.filter((message) => message.tag === 'message' || message.tag === 'oversized')
    expect(logical).toHaveLength(3)
    const [first, big, last] = logical
    expect(first).toMatchObject({ tag: 'message', prefix: 'fact', transactional: true })
    expect(Buffer.from((first as { content: Uint8Array }).content).toString()).toBe('first')
    expect(last).toMatchObject({ tag: 'message', prefix: 'fact' })
    expect(Buffer.from((last as { content: Uint8Array }).content).toString()).toBe('last')
    expect(big).toMatchObject({
      tag: 'oversized',
      type: 'M',
      maxMessageBytes: mib,
      logical: {
        transactional: true,
        prefix: 'fact',
        contentLength: bigContent.length,
        contentHead: new Uint8Array(bigContent.subarray(0, 64)),
        contentSha256: createHash('sha256').update(bigContent).digest('hex'),
      },
    })
    expect(big?.tag === 'oversized' && big.byteLength).toBe(1 + 1 + 8 + 5 + 4 + bigContent.length)
    expect(big?.tag === 'oversized' && big.logical!.lsn).toBeGreaterThan(0n)
  })
})
