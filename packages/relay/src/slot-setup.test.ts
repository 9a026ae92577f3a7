import { createDatabase, startPostgres, uniqueName } from '@factlib/testing'
import { ReplicationConnection, sqlLiteral } from '@factlib/wal'
import postgres from 'postgres'
import { afterAll, describe, expect, it } from 'vitest'
import { silentLogger } from './logger.js'
import { type MissingSlot, SlotRecreateRefusedError } from './missing-slot.js'
import { ensurePublicationAndSlot } from './slot-setup.js'

describe('slot setup: failover slots, and a guard before a missing slot is made', async () => {
  const db = await createDatabase(await startPostgres(), 'slot_setup')
  const sql = postgres(db.url, { max: 1, onnotice: () => {} })
  afterAll(() => sql.end())
  const failoverOf = async (slot: string) => {
    const rows = await sql.unsafe(
      (await sql`select current_setting('server_version_num')::int as v`)[0]!.v >= 170000
        ? `select failover::text as failover from pg_replication_slots where slot_name = ${sqlLiteral(slot)}`
        : `select 'unsupported' as failover from pg_replication_slots where slot_name = ${sqlLiteral(slot)}`,
    )
    return rows[0]?.failover as string | undefined
  }
  const withConnection = async <T>(work: (connection: ReplicationConnection) => Promise<T>) => {
    const connection = await ReplicationConnection.connect(db.url)
    try {
      return await work(connection)
    } finally {
      await connection.close()
    }
  }

  it('creates a failover slot on 17 unless told not to, and switches an existing slot over', async () => {
    const slot = uniqueName('failover_slot')
    const publication = uniqueName('failover_pub')
    const version = await withConnection(async (connection) => {
      await ensurePublicationAndSlot(connection, { publication, slot }, silentLogger)
      return connection.serverVersion
    })
    expect(await failoverOf(slot)).toBe(version >= 170000 ? 'true' : 'unsupported')
    const plain = uniqueName('plain_slot')
    await withConnection((connection) =>
      ensurePublicationAndSlot(connection, { publication, slot: plain }, silentLogger, { failover: false }),
    )
    expect(await failoverOf(plain)).toBe(version >= 170000 ? 'false' : 'unsupported')
    await withConnection((connection) =>
      ensurePublicationAndSlot(connection, { publication, slot: plain }, silentLogger),
    )
    expect(await failoverOf(plain)).toBe(version >= 170000 ? 'true' : 'unsupported')
  })

  it('asks the guard with the server identity and position, and creates nothing when it refuses', async () => {
    const slot = uniqueName('guarded_slot')
    const publication = uniqueName('guarded_pub')
    const seen: MissingSlot[] = []
    const refusal = withConnection((connection) =>
      ensurePublicationAndSlot(connection, { publication, slot }, silentLogger, {
        confirmedBefore: 42n,
        guard: async (missing) => {
          seen.push(missing)
          throw new SlotRecreateRefusedError('not without an operator')
        },
      }),
    )
    await expect(refusal).rejects.toThrow(SlotRecreateRefusedError)
    expect(seen[0]).toMatchObject({ slot, timeline: 1, confirmedBefore: 42n })
    expect(seen[0]!.systemId).toMatch(/^\d+$/)
    expect(seen[0]!.currentWalLsn).toBeGreaterThan(0n)
    expect(await failoverOf(slot)).toBeUndefined()
  })
})
