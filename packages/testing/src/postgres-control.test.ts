import postgres from 'postgres'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type PostgresService, startPostgres } from './index.js'

// The fault tests (e2e/src/chaos) stop and start PostgreSQL in the middle of a long run, where a
// control that does not work shows only as a confusing chaos failure. Here each way down is taken
// once on a server of this file's own, on whichever backend runs (local processes, or containers
// under ./dev test-containers), and must come back on the same address with the data committed
// before it went down.
let server: PostgresService

beforeAll(async () => {
  server = await startPostgres({ dedicated: true })
}, 120_000)

afterAll(async () => {
  await server?.dispose()
})

async function query<T>(work: (sql: postgres.Sql) => Promise<T>): Promise<T> {
  const sql = postgres(server.url, { max: 1, connect_timeout: 10, onnotice: () => {} })
  try {
    return await work(sql)
  } finally {
    await sql.end({ timeout: 1 })
  }
}

const rows = () =>
  query(async (sql) =>
    (await sql<{ step: string }[]>`select step from survived order by id`).map((row) => row.step),
  )

describe('a dedicated PostgreSQL under stop, kill and start', () => {
  it('comes back on the same address with every committed row, whichever way it went down', async () => {
    await query((sql) => sql`create table survived (id serial primary key, step text not null)`)
    const address = server.url
    const ways = [
      ['stop fast', () => server.stop('fast')],
      ['stop immediate', () => server.stop('immediate')],
      ['kill', () => server.kill()],
    ] as const
    const seen: string[] = []
    for (const [way, takeDown] of ways) {
      await query((sql) => sql`insert into survived (step) values (${`before ${way}`})`)
      seen.push(`before ${way}`)
      await takeDown()
      await expect(
        query((sql) => sql`select 1`),
        `PostgreSQL still answers after ${way}`,
      ).rejects.toThrow()
      await server.start()
      expect(server.url).toBe(address)
      expect(await rows(), `the rows after ${way} and start`).toEqual(seen)
    }
  }, 180_000)
})
