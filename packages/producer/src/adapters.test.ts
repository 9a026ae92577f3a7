import { decodeEnvelope, type FactInput } from '@factlib/core'
import { createDatabase, startPostgres, uniqueName } from '@factlib/testing'
import { Kysely, PostgresDialect } from 'kysely'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createProducer, EmitDatabaseError, NotInTransactionError, pgExecutor } from './index.js'
import { kyselyExecutor } from './kysely.js'
import { LogicalSlot } from './test-support/logical-slot.js'

interface Database {
  orders: { id: string }
}

let pool: pg.Pool
let db: Kysely<Database>
let slot: LogicalSlot
const producer = createProducer({ prefix: 'adapters', traceContext: false })

function fact(aggregateId: string): FactInput {
  return { aggregateType: 'order', aggregateId, eventType: 'order.placed', payload: new Uint8Array([7]) }
}

async function emittedIds(): Promise<string[]> {
  return (await slot.readMessages()).map((message) => decodeEnvelope(message.content).aggregateId)
}

beforeAll(async () => {
  const database = await createDatabase(await startPostgres(), 'adapters')
  pool = new pg.Pool({ connectionString: database.url, max: 4 })
  await pool.query('create table orders (id text primary key)')
  db = new Kysely<Database>({
    dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: database.url, max: 2 }) }),
  })
  slot = await LogicalSlot.create(database.url, uniqueName('adapters_slot'))
})

afterAll(async () => {
  await slot?.dispose()
  await db?.destroy()
  await pool?.end()
})

describe('node-postgres', () => {
  it('emits through a client in a transaction, committing and rolling back with it', async () => {
    const client = await pool.connect()
    try {
      await client.query('BEGIN')
      await client.query("insert into orders values ('pg-1')")
      const [first, second] = await producer.emitMany(pgExecutor(client), [fact('pg-1'), fact('pg-2')])
      await client.query('COMMIT')
      expect(first!.aggregateId).toBe('pg-1')
      expect(second!.aggregateId).toBe('pg-2')

      await client.query('BEGIN')
      await producer.emit(pgExecutor(client), fact('pg-rolled-back'))
      await client.query('ROLLBACK')
    } finally {
      client.release()
    }
    expect(await emittedIds()).toEqual(['pg-1', 'pg-2'])
  })

  it('accepts a client directly as the executor', async () => {
    const client = await pool.connect()
    try {
      await client.query('BEGIN')
      await producer.emit(client, fact('pg-direct'))
      await client.query('COMMIT')
    } finally {
      client.release()
    }
    expect(await emittedIds()).toEqual(['pg-direct'])
  })

  it('refuses an idle client and a Pool', async () => {
    const client = await pool.connect()
    try {
      await expect(producer.emit(pgExecutor(client), fact('idle'))).rejects.toBeInstanceOf(
        NotInTransactionError,
      )
      await expect(producer.emit(client, fact('idle'))).rejects.toThrow(/pg Client|not inside a transaction/)
    } finally {
      client.release()
    }
    await expect(producer.emit(pool, fact('pool'))).rejects.toMatchObject({ executor: 'pg Pool' })
    expect(await emittedIds()).toEqual([])
  })

  it('reports a failed transaction as EmitDatabaseError', async () => {
    const client = await pool.connect()
    try {
      await client.query('BEGIN')
      await client.query('select 1/0').catch(() => undefined)
      const error = await producer
        .emit(pgExecutor(client), fact('aborted'))
        .catch((caught: unknown) => caught)
      expect(error).toBeInstanceOf(EmitDatabaseError)
      expect(error).toMatchObject({ code: '25P02', factCount: 1 })
      await client.query('ROLLBACK')
    } finally {
      client.release()
    }
    expect(await emittedIds()).toEqual([])
  })
})

describe('Kysely', () => {
  it('emits inside db.transaction() together with the query builder writes', async () => {
    await db.transaction().execute(async (trx) => {
      await trx.insertInto('orders').values({ id: 'ky-1' }).execute()
      await producer.emit(kyselyExecutor(trx), fact('ky-1'))
      await producer.emitMany(kyselyExecutor(trx), [fact('ky-2'), fact('ky-3')])
    })
    await expect(
      db.transaction().execute(async (trx) => {
        await producer.emit(kyselyExecutor(trx), fact('ky-rolled-back'))
        throw new Error('abort')
      }),
    ).rejects.toThrow('abort')
    expect(await emittedIds()).toEqual(['ky-1', 'ky-2', 'ky-3'])
  })

  it('refuses the root Kysely instance', async () => {
    await expect(producer.emit(kyselyExecutor(db), fact('ky-root'))).rejects.toBeInstanceOf(
      NotInTransactionError,
    )
    expect(await emittedIds()).toEqual([])
  })
})
