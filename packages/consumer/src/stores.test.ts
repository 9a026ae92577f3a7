import { createDatabase, startPostgres } from '@factlib/testing'
import pg from 'pg'
import postgres from 'postgres'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TransactionRolledBackError } from './errors.js'
import type { FactStore } from './fact-store.js'
import { pgStore } from './pg/pg-store.js'
import { postgresJsStore } from './postgres-js/postgres-js-store.js'

// Both drivers behind one contract: the effect and the mark commit together, a mark held by an
// open transaction is waited for, and old marks go.
interface Driver {
  name: string
  store: FactStore<unknown>
  /** Writes a row of `effects` through the handler's transaction. */
  write(tx: unknown, key: string): Promise<void>
  /** A statement that fails inside the transaction, its error caught by the handler. */
  failQuietly(tx: unknown): Promise<void>
}

let sql: postgres.Sql
let pool: pg.Pool
const drivers: Driver[] = []

beforeAll(async () => {
  const database = await createDatabase(await startPostgres(), 'consumer_store')
  sql = postgres(database.url, { max: 6, onnotice: () => {} })
  pool = new pg.Pool({ connectionString: database.url, max: 6 })
  await sql`create table effects (driver text, fact_key text)`
  drivers.push(
    {
      name: 'postgres.js',
      store: postgresJsStore(sql, { table: 'marks_js' }) as FactStore<unknown>,
      write: async (tx, key) => {
        await (tx as postgres.TransactionSql)`insert into effects values ('postgres.js', ${key})`
      },
      failQuietly: async (tx) => {
        await (tx as postgres.TransactionSql)`select 1/0`.catch(() => {})
      },
    },
    {
      name: 'pg',
      store: pgStore(pool, { table: 'public.marks_pg' }) as FactStore<unknown>,
      write: async (tx, key) => {
        await (tx as pg.PoolClient).query('insert into effects values ($1, $2)', ['pg', key])
      },
      failQuietly: async (tx) => {
        await (tx as pg.PoolClient).query('select 1/0').catch(() => {})
      },
    },
  )
  // Twice, and at once: creating the table must not fail when it exists or races.
  for (const { store } of drivers) await Promise.all([store.prepare(), store.prepare()])
})

afterAll(async () => {
  await sql?.end()
  await pool?.end()
})

const effectsOf = async (driver: string, key: string) =>
  (await sql`select count(*)::int as n from effects where driver = ${driver} and fact_key = ${key}`)[0]!
    .n as number

describe.each(['postgres.js', 'pg'])('the %s store', (name) => {
  const driver = () => drivers.find((d) => d.name === name)!

  it('applies a fact once and skips it after', async () => {
    const { store, write } = driver()
    expect(await store.applyOnce('group-a', 'id:1', (tx) => write(tx, 'id:1'))).toBe('applied')
    expect(await store.applyOnce('group-a', 'id:1', (tx) => write(tx, 'id:1'))).toBe('already-applied')
    // Another group keeps marks of its own.
    expect(await store.applyOnce('group-b', 'id:1', async () => {})).toBe('applied')
    expect(await effectsOf(name, 'id:1')).toBe(1)
  })

  it('keeps no mark when the handler fails, so the fact is applied on the next try', async () => {
    const { store, write } = driver()
    const failing = store.applyOnce('group-a', 'id:2', async (tx) => {
      await write(tx, 'id:2')
      throw new Error('handler bug')
    })
    await expect(failing).rejects.toThrow('handler bug')
    expect(await effectsOf(name, 'id:2')).toBe(0)
    expect(await store.applyOnce('group-a', 'id:2', (tx) => write(tx, 'id:2'))).toBe('applied')
    expect(await effectsOf(name, 'id:2')).toBe(1)
  })

  it('refuses to call a transaction applied when one of its statements failed and was caught', async () => {
    const { store, write, failQuietly } = driver()
    const quiet = store.applyOnce('group-a', 'id:3', async (tx) => {
      await write(tx, 'id:3')
      await failQuietly(tx)
    })
    await expect(quiet).rejects.toThrow()
    if (name === 'pg') await expect(quiet).rejects.toBeInstanceOf(TransactionRolledBackError)
    expect(await effectsOf(name, 'id:3')).toBe(0)
  })

  it('makes a second owner of the same fact wait for the first, then skip or apply by its outcome', async () => {
    const { store, write } = driver()
    for (const firstCommits of [true, false]) {
      const key = `id:race-${firstCommits}`
      let letGo!: () => void
      const gate = new Promise<void>((resolve) => {
        letGo = resolve
      })
      let entered!: () => void
      const inside = new Promise<void>((resolve) => {
        entered = resolve
      })
      const first = store.applyOnce('group-a', key, async (tx) => {
        await write(tx, key)
        entered()
        await gate
        if (!firstCommits) throw new Error('first owner lost its transaction')
      })
      await inside
      const second = store.applyOnce('group-a', key, (tx) => write(tx, key))
      // The second is blocked on the first's mark, not done already.
      const early = await Promise.race([
        second,
        new Promise((resolve) => setTimeout(() => resolve('waiting'), 300)),
      ])
      expect(early).toBe('waiting')
      letGo()
      await first.catch(() => {})
      expect(await second).toBe(firstCommits ? 'already-applied' : 'applied')
      expect(await effectsOf(name, key)).toBe(1)
    }
  })

  it('prunes marks older than the retention, and only those', async () => {
    const { store } = driver()
    const table = name === 'pg' ? 'marks_pg' : 'marks_js'
    for (let index = 0; index < 5; index++) await store.applyOnce('group-p', `id:p${index}`, async () => {})
    await sql.unsafe(
      `update ${table} set applied_at = now() - interval '2 days' where consumer_group = 'group-p' and fact_key in ('id:p0', 'id:p1', 'id:p2')`,
    )
    expect(await store.prune('group-p', 24 * 3600 * 1000, 2)).toBe(2)
    expect(await store.prune('group-p', 24 * 3600 * 1000, 10)).toBe(1)
    const left = await sql.unsafe(
      `select fact_key from ${table} where consumer_group = 'group-p' order by fact_key`,
    )
    expect(left.map((row) => row.fact_key)).toEqual(['id:p3', 'id:p4'])
  })
})

describe('the marks table name', () => {
  it('is refused when it is not an identifier', () => {
    expect(() => postgresJsStore(sql, { table: 'marks; drop table x' })).toThrow(/table/)
  })
})
