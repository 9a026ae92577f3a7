import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { formatLsn, parseLsn } from './lsn.js'
import type { PgoutputMessage } from './pgoutput-messages.js'
import { ReplicationConnection } from './replication-connection.js'
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
    expect(update).toMatchObject({ key: [{ kind: 'text', value: '1' }, { kind: 'null' }, { kind: 'null' }] })
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
      (event) => event.type === 'data' && ['insert', 'commit'].includes(event.message.tag),
    )
    expect(changes.length).toBeGreaterThan(0)
    for (const event of changes) if (event.type === 'data') expect(event.walStart).toBeGreaterThan(0n)
    const lastCommit = messages.findLast((message) => message.tag === 'commit')!
    if (lastCommit.tag !== 'commit') throw new Error('unreachable')
    // close() sent the acknowledged position before CopyDone: the slot confirms exactly it.
    const [row] = await fixture.sql(
      `select confirmed_flush_lsn from pg_replication_slots where slot_name = '${fixture.slot}'`,
    )
    expect(row![0]).toBe(formatLsn(lastCommit.endLsn))
  })
})
