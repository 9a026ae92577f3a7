import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseLsn } from './lsn.js'
import { ReplicationConnection } from './replication-connection.js'
import { type ReplicationFixture, replicationFixture } from './test-support/replication-fixture.js'

/**
 * 500 MB of pending WAL as the issue asks (about 5 s here, with fsync off); FACTLIB_WAL_PENDING_MB
 * shrinks it for slow machines. The bound is the same either way: the stream must not buffer what
 * it is not asked for.
 */
const pendingMb = Number(process.env.FACTLIB_WAL_PENDING_MB ?? 500)
const rssBudgetBytes = 64 * 1024 * 1024
const messagesPerTransaction = 8
const messageBytes = 1024 * 1024

describe('memory while the consumer does not pull', () => {
  let fixture: ReplicationFixture
  beforeAll(async () => {
    fixture = await replicationFixture('wal_memory')
  })
  afterAll(() => fixture?.dispose())

  it(`keeps RSS growth under 64 MB with ${pendingMb} MB of WAL pending, then delivers all of it`, {
    timeout: 600_000,
  }, async () => {
    const connection = await ReplicationConnection.connect({
      connectionString: fixture.url,
      applicationName: 'wal_memory_consumer',
    })
    const stream = await connection.startReplication({
      slot: fixture.slot,
      publicationNames: ['pub'],
      messages: true,
      statusIntervalMs: 1000,
    })
    const iterator = stream[Symbol.asyncIterator]()
    await fixture.sql("select pg_logical_emit_message(true, 'warmup', 'x')")
    while (true) {
      const { value } = await iterator.next()
      if (value?.tag === 'data' && value.message.tag === 'commit') break
    }
    const [start] = await fixture.sql('select pg_current_wal_lsn()')
    const startLsn = parseLsn(start![0]!)
    const rssBefore = process.memoryUsage().rss

    const transactions = Math.ceil(pendingMb / messagesPerTransaction)
    let peakRss = rssBefore
    for (let index = 0; index < transactions; index++) {
      await fixture.sql(
        `select pg_logical_emit_message(true, 'big', repeat('x', ${messageBytes})) from generate_series(1, ${messagesPerTransaction})`,
      )
      peakRss = Math.max(peakRss, process.memoryUsage().rss)
    }
    const [end] = await fixture.sql('select pg_current_wal_lsn()')
    const pendingBytes = Number(parseLsn(end![0]!) - startLsn)
    expect(pendingBytes).toBeGreaterThanOrEqual(pendingMb * 1024 * 1024)
    await sleep(2000) // time for the walsender to push whatever the socket takes
    peakRss = Math.max(peakRss, process.memoryUsage().rss)
    // The server really is held back: it has sent only what the socket buffers could take.
    const [sent] = await fixture.sql(
      `select sent_lsn from pg_stat_replication where application_name = 'wal_memory_consumer'`,
    )
    const sentBytes = Number(parseLsn(sent![0]!) - startLsn)
    expect(sentBytes).toBeLessThan(pendingBytes / 2)
    console.info(
      `server sent ${(sentBytes / 1048576).toFixed(1)} MB;`,
      `RSS growth with ${(pendingBytes / 1048576).toFixed(0)} MB of WAL pending: ${((peakRss - rssBefore) / 1048576).toFixed(1)} MB`,
    )
    expect(peakRss - rssBefore).toBeLessThan(rssBudgetBytes)

    // Pulling again resumes the socket: every message arrives, whole and in order.
    let bigMessages = 0
    while (bigMessages < transactions * messagesPerTransaction) {
      const { value, done } = await iterator.next()
      if (done) throw new Error('stream ended early')
      if (value.tag === 'data' && value.message.tag === 'message') {
        expect(value.message.content.length).toBe(messageBytes)
        bigMessages++
      }
      if (value.tag === 'data' && value.message.tag === 'commit') stream.acknowledge(value.message.endLsn)
    }
    expect(bigMessages).toBe(transactions * messagesPerTransaction)
    await stream.close()
  })
})
