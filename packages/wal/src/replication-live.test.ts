import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { formatLsn, parseLsn } from './lsn.js'
import type { PgoutputMessage } from './pgoutput-messages.js'
import { ReplicationConnection } from './replication-connection.js'
import { sqlLiteral } from './sql-text.js'
import { collect, type ReplicationFixture, replicationFixture } from './test-support/replication-fixture.js'

const text = (bytes: Uint8Array) => Buffer.from(bytes).toString('utf8')
const isMarker = (name: string) => (messages: PgoutputMessage[]) =>
  messages.some(
    (message) => message.tag === 'message' && message.prefix === 'marker' && text(message.content) === name,
  )

describe('replication against PostgreSQL: every message type live', () => {
  let fixture: ReplicationFixture
  beforeAll(async () => {
    fixture = await replicationFixture('wal_live')
  })
  afterAll(() => fixture?.dispose())

  it('identifies the system and reports the server version', async () => {
    const connection = await ReplicationConnection.connect(fixture.url)
    try {
      expect(connection.serverVersion).toBeGreaterThanOrEqual(150000)
      const system = await connection.identifySystem()
      expect(system.systemId).toMatch(/^\d+$/)
      expect(system.timeline).toBeGreaterThanOrEqual(1)
      expect(system.xlogPos).toBeGreaterThan(0n)
      expect(system.dbName).toBe(new URL(fixture.url).pathname.slice(1))
    } finally {
      await connection.close()
    }
  })

  it('streams begin, relation, type, insert, update, delete, truncate, messages, origin and commit (v1)', async () => {
    await fixture.sql("create type mood as enum ('sad', 'happy')")
    await fixture.sql('create table moods(id int primary key, m mood)')
    await fixture.sql('alter publication pub add table moods')
    const connection = await ReplicationConnection.connect(fixture.url)
    const stream = await connection.startReplication({
      slot: fixture.slot,
      publicationNames: ['pub'],
      messages: true,
    })
    await fixture.sql(`
      begin;
      insert into items values (1, 'one', '\\x0001');
      update items set id = 2 where id = 1;
      select pg_logical_emit_message(true, 'fact', 'in-tx');
      delete from items where id = 2;
      insert into moods values (1, 'happy');
      commit;`)
    await fixture.sql("select pg_logical_emit_message(false, 'fact', 'outside')")
    await fixture.sql('truncate items')
    await fixture.sql("select pg_replication_origin_create('elsewhere')")
    await fixture.sql(`select pg_replication_origin_session_setup('elsewhere');
      begin; select pg_replication_origin_xact_setup('0/12345678', now()); insert into items values (9, 'nine'); commit;
      select pg_replication_origin_session_reset();`)
    await fixture.sql("select pg_logical_emit_message(true, 'marker', 'v1-done')")
    const { messages, events } = await collect(stream, isMarker('v1-done'), { acknowledge: true })
    await stream.close()

    const tags = new Set(messages.map((message) => message.tag))
    for (const tag of [
      'begin',
      'relation',
      'type',
      'insert',
      'update',
      'delete',
      'truncate',
      'message',
      'origin',
      'commit',
    ]) {
      expect(tags, tag).toContain(tag)
    }
    const update = messages.find((message) => message.tag === 'update')!
    expect(update).toMatchObject({ key: [{ tag: 'text', value: '1' }, { tag: 'null' }, { tag: 'null' }] })
    expect(update).toMatchObject({ new: [{ value: '2' }, { value: 'one' }, { value: '\\x0001' }] })
    const emitted = messages.filter((message) => message.tag === 'message')
    expect(emitted.map((message) => [message.prefix, text(message.content), message.transactional])).toEqual([
      ['fact', 'in-tx', true],
      ['fact', 'outside', false],
      ['marker', 'v1-done', true],
    ])
    expect(messages.find((message) => message.tag === 'origin')).toMatchObject({
      name: 'elsewhere',
      originLsn: 0x12345678n,
    })
    expect(messages.find((message) => message.tag === 'type')).toMatchObject({
      name: 'mood',
      namespace: 'public',
    })
    expect(messages.find((message) => message.tag === 'truncate')).toMatchObject({
      relations: [{ name: 'items' }],
    })
    // Every data event carries the XLogData positions it came in.
    const changes = events.filter(
      (event) => event.tag === 'data' && ['insert', 'commit'].includes(event.message.tag),
    )
    expect(changes.length).toBeGreaterThan(0)
    for (const event of changes) if (event.tag === 'data') expect(event.walStart).toBeGreaterThan(0n)
    const lastCommit = messages.findLast((message) => message.tag === 'commit')!
    if (lastCommit.tag !== 'commit') throw new Error('unreachable')
    // close() sent the acknowledged position before CopyDone: the slot confirms exactly it.
    const [row] = await fixture.sql(
      `select confirmed_flush_lsn from pg_replication_slots where slot_name = ${sqlLiteral(fixture.slot)}`,
    )
    expect(row![0]).toBe(formatLsn(lastCommit.endLsn))
  })
})

describe('replication against PostgreSQL: binary tuples on a temporary slot', () => {
  let fixture: ReplicationFixture
  beforeAll(async () => {
    fixture = await replicationFixture('wal_binary')
  })
  afterAll(() => fixture?.dispose())

  it('receives binary column values and drops the temporary slot with the connection', async () => {
    const connection = await ReplicationConnection.connect(fixture.url)
    const slot = `${fixture.slot}_tmp`
    const created = await connection.createReplicationSlot(slot, { temporary: true })
    expect(created).toMatchObject({ slotName: slot, outputPlugin: 'pgoutput', snapshotName: null })
    expect(created.consistentPoint).toBeGreaterThan(0n)
    const stream = await connection.startReplication({ slot, publicationNames: ['pub'], binary: true })
    await fixture.sql("insert into items values (258, 'bin', '\\xcafe')")
    const { messages } = await collect(stream, (got) => got.some((message) => message.tag === 'insert'))
    const insert = messages.find((message) => message.tag === 'insert')!
    if (insert.tag !== 'insert') throw new Error('unreachable')
    expect(insert.new.map((value) => (value.tag === 'binary' ? [...value.value] : value))).toEqual([
      [0, 0, 1, 2], // int4 258, big-endian
      [...Buffer.from('bin')],
      [0xca, 0xfe],
    ])
    await stream.close()
    expect(
      await fixture.sql(`select 1 from pg_replication_slots where slot_name = ${sqlLiteral(slot)}`),
    ).toEqual([])
  })
})

describe('replication against PostgreSQL: streamed and two-phase transactions', () => {
  let fixture: ReplicationFixture
  beforeAll(async () => {
    fixture = await replicationFixture('wal_stream', { twoPhase: true })
  })
  afterAll(() => fixture?.dispose())

  it('streams a large transaction in blocks (v2), commits one, aborts another, and decodes 2PC (v3)', async () => {
    const connection = await ReplicationConnection.connect(fixture.url)
    // Small enough that a few hundred rows spill and stream before commit.
    await connection.query("set logical_decoding_work_mem = '64kB'")
    const stream = await connection.startReplication({
      slot: fixture.slot,
      publicationNames: ['pub'],
      protoVersion: 3,
      messages: true,
      streaming: true,
      twoPhase: true,
    })
    await fixture.sql(`begin;
      insert into items(id, name) select g, 'bulk-' || g from generate_series(1, 2000) g;
      select pg_logical_emit_message(true, 'fact', 'in-big-tx');
      commit;`)
    await fixture.sql(
      `begin; insert into items(id, name) select g, 'gone-' || g from generate_series(5001, 7000) g; rollback;`,
    )
    await fixture.sql(
      `begin; insert into items values (10001, 'prepared'); prepare transaction 'wal-gid-commit';`,
    )
    await fixture.sql(`commit prepared 'wal-gid-commit'`)
    await fixture.sql(
      `begin; insert into items values (10002, 'rolled'); prepare transaction 'wal-gid-rollback';`,
    )
    await fixture.sql(`rollback prepared 'wal-gid-rollback'`)
    await fixture.sql(`begin; insert into items(id, name) select g, 'big-prepared-' || g from generate_series(20001, 22000) g;
      prepare transaction 'wal-gid-stream';`)
    await fixture.sql(`commit prepared 'wal-gid-stream'`)
    await fixture.sql("select pg_logical_emit_message(true, 'marker', 'stream-done')")
    const { messages } = await collect(stream, isMarker('stream-done'), { timeoutMs: 60_000 })
    await stream.close()

    const tags = messages.map((message) => message.tag)
    for (const tag of [
      'stream_start',
      'stream_stop',
      'stream_commit',
      'stream_abort',
      'begin_prepare',
      'prepare',
      'commit_prepared',
      'rollback_prepared',
      'stream_prepare',
    ]) {
      expect(tags, tag).toContain(tag)
    }
    const committed = messages.find((message) => message.tag === 'stream_commit')!
    if (committed.tag !== 'stream_commit') throw new Error('unreachable')
    const streamedInserts = messages.filter(
      (message) => message.tag === 'insert' && message.xid === committed.xid,
    )
    expect(streamedInserts.length).toBe(2000)
    expect(
      messages.find((message) => message.tag === 'message' && message.xid === committed.xid),
    ).toMatchObject({
      prefix: 'fact',
      transactional: true,
    })
    const aborted = messages.find((message) => message.tag === 'stream_abort')!
    if (aborted.tag !== 'stream_abort') throw new Error('unreachable')
    expect(aborted.subXid).toBe(aborted.xid)
    expect(messages.find((message) => message.tag === 'commit_prepared')).toMatchObject({
      gid: 'wal-gid-commit',
    })
    expect(messages.find((message) => message.tag === 'rollback_prepared')).toMatchObject({
      gid: 'wal-gid-rollback',
    })
    expect(messages.find((message) => message.tag === 'stream_prepare')).toMatchObject({
      gid: 'wal-gid-stream',
    })
  })
})

describe('replication against PostgreSQL: protocol 4 as 16 and 17 send it', () => {
  let fixture: ReplicationFixture
  beforeAll(async () => {
    fixture = await replicationFixture('wal_v4')
  })
  afterAll(() => fixture?.dispose())

  it('decodes parallel streaming, whose Stream Abort carries the abort LSN and time', async () => {
    const connection = await ReplicationConnection.connect(fixture.url)
    const options = {
      slot: fixture.slot,
      publicationNames: ['pub'],
      messages: true,
      streaming: 'parallel' as const,
    }
    if (connection.serverVersion < 160000) {
      expect(() => connection.startReplicationCommand(options)).toThrow(/proto_version 4/)
      await connection.close()
      return
    }
    await connection.query("set logical_decoding_work_mem = '64kB'")
    const stream = await connection.startReplication(options)
    await fixture.sql(`begin;
      insert into items(id, name) select g, 'kept-' || g from generate_series(1, 2000) g;
      select pg_logical_emit_message(true, 'fact', 'in-v4-tx');
      commit;`)
    await fixture.sql(
      `begin; insert into items(id, name) select g, 'gone-' || g from generate_series(5001, 7000) g; rollback;`,
    )
    await fixture.sql("select pg_logical_emit_message(true, 'marker', 'v4-done')")
    const { messages } = await collect(stream, isMarker('v4-done'), { timeoutMs: 60_000 })
    await stream.close()
    const committed = messages.find((message) => message.tag === 'stream_commit')!
    if (committed.tag !== 'stream_commit') throw new Error('unreachable')
    expect(
      messages.filter((message) => message.tag === 'insert' && message.xid === committed.xid),
    ).toHaveLength(2000)
    const aborted = messages.find((message) => message.tag === 'stream_abort')!
    if (aborted.tag !== 'stream_abort') throw new Error('unreachable')
    expect(aborted.abortLsn).toBeGreaterThan(0n)
    expect(aborted.abortTime).toBeGreaterThan(0n)
  })
})

describe('replication against PostgreSQL: resume after reconnect', () => {
  let fixture: ReplicationFixture
  beforeAll(async () => {
    fixture = await replicationFixture('wal_resume')
  })
  afterAll(() => fixture?.dispose())

  it('resumes from the acknowledged position with nothing lost and nothing unacknowledged confirmed', async () => {
    const facts = (from: number, to: number) =>
      Array.from(
        { length: to - from + 1 },
        (_, index) => `select pg_logical_emit_message(true, 'fact', 'f${from + index}');`,
      ).join(' ')
    for (let batch = 0; batch < 10; batch++)
      await fixture.sql(`begin; ${facts(batch * 3 + 1, batch * 3 + 3)} commit;`)

    // First session: process (acknowledge) only the first four transactions, then go away.
    const first = await ReplicationConnection.connect(fixture.url)
    const stream = await first.startReplication({
      slot: fixture.slot,
      publicationNames: ['pub'],
      messages: true,
      statusIntervalMs: 100,
    })
    const seen: string[] = []
    let commits = 0
    let fourthCommitEnd = 0n
    for await (const event of stream) {
      if (event.tag !== 'data') continue
      if (event.message.tag === 'message') seen.push(text(event.message.content))
      if (event.message.tag === 'commit') {
        commits++
        if (commits <= 4) stream.acknowledge(event.message.endLsn)
        if (commits === 4) fourthCommitEnd = event.message.endLsn
        if (commits === 7) break // leaves the loop: closes the stream
      }
    }
    expect(seen.length).toBe(21)
    expect(stream.acknowledgedLsn).toBe(fourthCommitEnd)
    const [slot] = await fixture.sql(
      `select confirmed_flush_lsn, active from pg_replication_slots where slot_name = ${sqlLiteral(fixture.slot)}`,
    )
    expect(parseLsn(slot![0]!)).toBe(fourthCommitEnd)

    // More facts while nobody is connected.
    await fixture.sql(`begin; ${facts(31, 33)} commit;`)

    // Second session from 0/0: the server resumes right after the acknowledged commit.
    const second = await ReplicationConnection.connect(fixture.url)
    const resumed = await second.startReplication({
      slot: fixture.slot,
      publicationNames: ['pub'],
      messages: true,
    })
    const { messages } = await collect(
      resumed,
      (got) => got.filter((message) => message.tag === 'commit').length === 7,
    )
    await resumed.close()
    const contents = messages.flatMap((message) => (message.tag === 'message' ? [text(message.content)] : []))
    expect(contents).toEqual(Array.from({ length: 21 }, (_, index) => `f${index + 13}`))
  })

  it('confirms nothing before acknowledge, and idle keepalives only when nothing is in flight', async () => {
    const [before] = await fixture.sql(
      `select confirmed_flush_lsn from pg_replication_slots where slot_name = ${sqlLiteral(fixture.slot)}`,
    )
    const connection = await ReplicationConnection.connect(fixture.url)
    const stream = await connection.startReplication({
      slot: fixture.slot,
      publicationNames: ['pub'],
      messages: true,
      statusIntervalMs: 50,
    })
    await fixture.sql("select pg_logical_emit_message(true, 'fact', 'unacknowledged')")
    const { messages } = await collect(stream, (got) => got.some((message) => message.tag === 'commit'))
    expect(messages.some((message) => message.tag === 'message')).toBe(true)
    expect(stream.acknowledgeIdle(parseLsn('FF/0'))).toBe(false)
    await new Promise((resolve) => setTimeout(resolve, 300))
    const [during] = await fixture.sql(
      `select confirmed_flush_lsn from pg_replication_slots where slot_name = ${sqlLiteral(fixture.slot)}`,
    )
    expect(during![0]).toBe(before![0])
    const commit = messages.find((message) => message.tag === 'commit')!
    if (commit.tag !== 'commit') throw new Error('unreachable')
    stream.acknowledge(commit.endLsn)
    stream.acknowledge(commit.endLsn - 1n) // lower: ignored
    expect(stream.acknowledgedLsn).toBe(commit.endLsn)
    expect(stream.acknowledgeIdle(commit.endLsn + 8n)).toBe(true)
    expect(stream.acknowledgedLsn).toBe(commit.endLsn + 8n)
    await stream.close()
  })
})
