import { decodeEnvelope, type FactInput } from '@factlib/core'
import { createDatabase, startPostgres, uniqueName } from '@factlib/testing'
import postgres3 from 'postgres'
import postgres4 from 'postgres-4'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createProducer, NotInTransactionError } from './index.js'
import { LogicalSlot } from './test-support/logical-slot.js'

// The postgres.js behaviour the producer relies on, against each major a user may have installed.
// The package types postgres.js by shape and ships no copy of it, so both must fit: this file is
// typed with postgres.js 4 (producer.test.ts and the e2e suites with 3) and runs against both.
// postgres.js 4 changed two things the producer tells objects apart by: a transaction has a `begin`
// (for a savepoint) as the pool does, and a query has a `text`, as `{ text, params }` does.

const producer = createProducer({ prefix: 'majors', traceContext: false })
const fact = (aggregateId: string): FactInput => ({
  aggregateType: 'order',
  aggregateId,
  eventType: 'order.placed',
  payload: new Uint8Array([1]),
})

type Sql = postgres4.Sql
const majors: Array<[string, (url: string) => Sql]> = [
  // The same calls exist in 3; its types differ only in ways this file does not touch.
  ['postgres.js 3', (url) => postgres3(url, { max: 2, onnotice: () => {} }) as unknown as Sql],
  ['postgres.js 4', (url) => postgres4(url, { max: 2, onnotice: () => {} })],
]

describe.each(majors)('%s', (_name, connect) => {
  let sql: Sql
  let slot: LogicalSlot

  const emittedIds = async () =>
    (await slot.readMessages()).map((message) => decodeEnvelope(message.content).aggregateId)
  const orderIds = async (pattern: string) =>
    (await sql.unsafe('select id from orders where id like $1 order by id', [pattern])).map(
      (row) => row.id as string,
    )

  beforeAll(async () => {
    const database = await createDatabase(await startPostgres(), 'majors')
    sql = connect(database.url)
    await sql.unsafe('create table orders (id text primary key)')
    slot = await LogicalSlot.create(database.url, uniqueName('majors_slot'))
  })

  afterAll(async () => {
    await slot?.dispose()
    await sql?.end()
  })

  it('emits in a transaction and a savepoint, and drops a rolled-back savepoint’s facts', async () => {
    await sql.begin(async (tx) => {
      await producer.emit(tx, fact('tx'))
      await tx.savepoint((savepoint) => producer.emitMany(savepoint, [fact('kept-1'), fact('kept-2')]))
      await tx
        .savepoint(async (savepoint) => {
          await producer.emit(savepoint, fact('undone'))
          throw new Error('undo the savepoint')
        })
        .catch(() => undefined)
    })
    expect(await emittedIds()).toEqual(['tx', 'kept-1', 'kept-2'])
  })

  it('refuses the pool and emits on a reserved connection that ran BEGIN', async () => {
    await expect(producer.emit(sql, fact('pool'))).rejects.toBeInstanceOf(NotInTransactionError)
    const reserved = await sql.reserve()
    try {
      await reserved.unsafe('begin')
      await producer.emit(reserved, fact('reserved'))
      await reserved.unsafe('commit')
    } finally {
      reserved.release()
    }
    expect(await emittedIds()).toEqual(['reserved'])
  })

  it('folds the fact into a query of plain values, a query with a helper, an unsafe query and text', async () => {
    await sql.begin(async (tx) => {
      await producer.emitWith(tx, fact('w-1'), tx`insert into orders values (${'w-1'})`)
      await producer.emitWith(tx, fact('w-2'), tx`insert into orders ${tx({ id: 'w-2' })}`)
      await producer.emitWith(tx, fact('w-3'), tx.unsafe('insert into orders values ($1)', ['w-3']))
      await producer.emitWith(tx, fact('w-4'), { text: 'insert into orders values ($1)', params: ['w-4'] })
    })
    expect(await orderIds('w-%')).toEqual(['w-1', 'w-2', 'w-3', 'w-4'])
    expect(await emittedIds()).toEqual(['w-1', 'w-2', 'w-3', 'w-4'])
  })
})
