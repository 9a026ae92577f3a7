import { decodeEnvelope, type FactInput, InvalidFactError, isUuidV7 } from '@factlib/core'
import { createDatabase, startPostgres, uniqueName } from '@factlib/testing'
import postgres from 'postgres'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  createProducer,
  EmitDatabaseError,
  InvalidPrefixError,
  NotInTransactionError,
  PayloadTooLargeError,
  UnfoldableStatementError,
} from './index.js'
import { postgresJsStatementText } from './postgres-js-executor.js'
import { LogicalSlot } from './test-support/logical-slot.js'

let sql: postgres.Sql
let databaseUrl: string
let slot: LogicalSlot
const prefix = 'factlib-test'
const producer = createProducer({ prefix, traceContext: false })

function fact(
  aggregateId: string,
  eventType = 'order.placed',
  payload = `{"id":"${aggregateId}"}`,
): FactInput {
  return { aggregateType: 'order', aggregateId, eventType, payload: new TextEncoder().encode(payload) }
}

async function orderCount(): Promise<number> {
  const [row] = await sql<{ count: number }[]>`select count(*)::int as count from orders`
  return row!.count
}

beforeAll(async () => {
  const server = await startPostgres()
  const database = await createDatabase(server, 'producer')
  databaseUrl = database.url
  sql = postgres(database.url, { max: 10, onnotice: () => {} })
  await sql`create table orders (id text primary key)`
  slot = await LogicalSlot.create(database.url, uniqueName('producer_slot'))
})

afterAll(async () => {
  await slot?.dispose()
  await sql?.end()
})

describe('emit with postgres.js', () => {
  it('puts the fact in the slot as a transactional message when the transaction commits', async () => {
    const envelope = await sql.begin(async (tx) => {
      await tx`insert into orders values ('o-1')`
      return producer.emit(tx, { ...fact('o-1'), metadata: { source: 'test' } })
    })
    expect(isUuidV7(envelope.id)).toBe(true)
    const transactions = await slot.readTransactions()
    expect(transactions).toHaveLength(1)
    const [message] = transactions[0]!.messages
    expect(message).toMatchObject({ transactional: true, prefix })
    expect(decodeEnvelope(message!.content)).toEqual(envelope)
    expect(envelope).toMatchObject({
      aggregateType: 'order',
      aggregateId: 'o-1',
      metadata: { source: 'test' },
    })
  })

  it('leaves nothing in the slot when the transaction rolls back', async () => {
    await expect(
      sql.begin(async (tx) => {
        await tx`insert into orders values ('o-rolled-back')`
        await producer.emit(tx, fact('o-rolled-back'))
        throw new Error('business rule failed')
      }),
    ).rejects.toThrow('business rule failed')
    expect(await slot.readMessages()).toEqual([])
  })

  it('drops the facts of a rolled-back savepoint and keeps the rest', async () => {
    await sql.begin(async (tx) => {
      await producer.emit(tx, fact('before'))
      await tx
        .savepoint(async (savepoint) => {
          await producer.emit(savepoint, fact('inside-1'))
          await producer.emitMany(savepoint, [fact('inside-2'), fact('inside-3')])
          throw new Error('undo the savepoint')
        })
        .catch(() => undefined)
      await tx.savepoint(async (savepoint) => producer.emit(savepoint, fact('kept-savepoint')))
      await producer.emit(tx, fact('after'))
    })
    const ids = (await slot.readMessages()).map((message) => decodeEnvelope(message.content).aggregateId)
    expect(ids).toEqual(['before', 'kept-savepoint', 'after'])
  })

  it('emits a batch in order in one statement', async () => {
    const facts = Array.from({ length: 25 }, (_, index) =>
      fact(`batch-${index}`, 'order.placed', 'x'.repeat(index * 37)),
    )
    const envelopes = await sql.begin((tx) => producer.emitMany(tx, facts))
    const messages = await slot.readMessages()
    expect(messages.map((message) => decodeEnvelope(message.content))).toEqual(envelopes)
    expect(envelopes.map((envelope) => envelope.aggregateId)).toEqual(facts.map((input) => input.aggregateId))
    expect(await sql.begin((tx) => producer.emitMany(tx, []))).toEqual([])
  })

  it('refuses the pool-level sql, which is not a transaction', async () => {
    await expect(producer.emit(sql, fact('no-tx'))).rejects.toBeInstanceOf(NotInTransactionError)
    await expect(producer.emitMany(sql, [fact('a'), fact('b')])).rejects.toBeInstanceOf(NotInTransactionError)
    expect(await slot.readMessages()).toEqual([])
  })

  it('rolls the business transaction back on an invalid fact, naming every bad field', async () => {
    const error = await sql
      .begin(async (tx) => {
        await tx`insert into orders values ('o-invalid')`
        await producer.emitMany(tx, [fact('fine'), { ...fact(''), eventType: '' }])
      })
      .catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(InvalidFactError)
    expect((error as InvalidFactError).issues.map((issue) => issue.path).sort()).toEqual([
      'aggregateId',
      'eventType',
    ])
    expect(await sql`select 1 from orders where id = 'o-invalid'`).toHaveLength(0)
    expect(await slot.readMessages()).toEqual([])
  })

  it('refuses a fact over the payload limit and the transaction rolls back', async () => {
    const small = createProducer({ prefix, maxPayloadBytes: 100, traceContext: false })
    const before = await orderCount()
    const error = await sql
      .begin(async (tx) => {
        await tx`insert into orders values ('o-large')`
        await small.emit(tx, fact('o-large', 'order.placed', 'y'.repeat(200)))
      })
      .catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(PayloadTooLargeError)
    expect(error).toMatchObject({ limit: 100, aggregateId: 'o-large' })
    expect((error as PayloadTooLargeError).size).toBeGreaterThan(200)
    expect(await orderCount()).toBe(before)
    expect(await slot.readMessages()).toEqual([])
  })

  it('defaults the payload limit to 1 MiB', async () => {
    expect(producer.maxPayloadBytes).toBe(1024 * 1024)
    await expect(
      sql.begin((tx) => producer.emit(tx, { ...fact('big'), payload: new Uint8Array(1024 * 1024) })),
    ).rejects.toBeInstanceOf(PayloadTooLargeError)
    const nearLimit = await sql.begin((tx) =>
      producer.emit(tx, { ...fact('near'), payload: new Uint8Array(1024 * 1000) }),
    )
    const [message] = await slot.readMessages()
    expect(decodeEnvelope(message!.content).id).toBe(nearLimit.id)
  })

  it('wraps a database failure in EmitDatabaseError with its SQLSTATE', async () => {
    const error = await sql
      .begin(async (tx) => {
        await tx`select 1/0`.catch(() => undefined)
        await producer.emit(tx, fact('after-failure'))
      })
      .catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(EmitDatabaseError)
    expect(error).toMatchObject({ code: '25P02', prefix, factCount: 1 })
    expect(await slot.readMessages()).toEqual([])
  })
})

describe("emitWith: the caller's statement and the fact in one round trip", () => {
  const ids = async (pattern: string) =>
    (await sql<{ id: string }[]>`select id from orders where id like ${pattern} order by id`).map(
      (row) => row.id,
    )

  it('commits the row and the fact together, from a postgres.js query or from text', async () => {
    const envelopes = await sql.begin(async (tx) => [
      await producer.emitWith(tx, fact('w-1'), tx`insert into orders values (${'w-1'})`),
      await producer.emitWith(tx, fact('w-2'), { text: 'insert into orders values ($1)', params: ['w-2'] }),
      // A postgres.js helper cannot be spelled out as text: the query is nested as postgres.js builds it.
      await producer.emitWith(tx, fact('w-3'), tx`insert into orders ${tx({ id: 'w-3' })}`),
      await producer.emitWith(tx, fact('w-4'), tx.unsafe('insert into orders values ($1)', ['w-4'])),
    ])
    expect(await ids('w-%')).toEqual(['w-1', 'w-2', 'w-3', 'w-4'])
    const transactions = await slot.readTransactions()
    expect(transactions).toHaveLength(1)
    expect(transactions[0]!.messages.map((message) => decodeEnvelope(message.content))).toEqual(envelopes)
  })

  it("runs one call site's query again and again with each call's own values", async () => {
    const envelopes = await sql.begin(async (tx) => {
      const emitted = []
      for (const id of ['t-1', 't-2', 't-3'])
        emitted.push(await producer.emitWith(tx, fact(id), tx`insert into orders values (${id})`))
      return emitted
    })
    expect(await ids('t-%')).toEqual(['t-1', 't-2', 't-3'])
    const [transaction] = await slot.readTransactions()
    expect(transaction!.messages.map((message) => decodeEnvelope(message.content))).toEqual(envelopes)
  })

  it('runs a query made on the pool inside the transaction it is given', async () => {
    await expect(
      sql.begin(async (tx) => {
        await producer.emitWith(tx, fact('p-1'), sql`insert into orders values (${'p-1'})`)
        throw new Error('business rule says no')
      }),
    ).rejects.toThrow('business rule says no')
    expect(await ids('p-%')).toEqual([])
    expect(await slot.readTransactions()).toEqual([])
  })

  it('emits the fact once whether the statement touches no row or many', async () => {
    await sql`insert into orders values ('m-1'), ('m-2'), ('m-3')`
    await sql.begin(async (tx) => {
      await producer.emitWith(tx, fact('none'), tx`update orders set id = id where id = 'absent'`)
      await producer.emitWith(tx, fact('many'), tx`update orders set id = id || '!' where id like 'm-%'`)
    })
    expect(await ids('m-%')).toEqual(['m-1!', 'm-2!', 'm-3!'])
    const [transaction] = await slot.readTransactions()
    expect(transaction!.messages.map((message) => decodeEnvelope(message.content).aggregateId)).toEqual([
      'none',
      'many',
    ])
  })

  it('leaves neither row nor fact when the transaction rolls back or the statement fails', async () => {
    await expect(
      sql.begin(async (tx) => {
        await producer.emitWith(tx, fact('r-1'), tx`insert into orders values ('r-1')`)
        throw new Error('business rule says no')
      }),
    ).rejects.toThrow('business rule says no')
    await sql`insert into orders values ('r-2')`
    const failure = await sql
      .begin((tx) => producer.emitWith(tx, fact('r-2'), tx`insert into orders values ('r-2')`))
      .catch((error: unknown) => error)
    expect(failure).toBeInstanceOf(EmitDatabaseError)
    expect(failure).toMatchObject({ code: '23505' })
    expect(await ids('r-%')).toEqual(['r-2'])
    expect(await slot.readTransactions()).toEqual([])
  })

  it('refuses a statement that cannot carry the fact, emitting nothing', async () => {
    await expect(
      sql.begin((tx) => producer.emitWith(tx, fact('s-1'), { text: 'select 1' })),
    ).rejects.toBeInstanceOf(UnfoldableStatementError)
    await expect(
      producer.emitWith(sql, fact('s-2'), { text: 'insert into orders values ($1)', params: ['s-2'] }),
    ).rejects.toBeInstanceOf(NotInTransactionError)
    // A SELECT in a WITH that nothing references would never run.
    await expect(
      sql.begin((tx) =>
        producer.emitWith(tx, fact('s-3'), {
          text: "with x as (select 1) insert into orders values ('s-3')",
        }),
      ),
    ).rejects.toBeInstanceOf(UnfoldableStatementError)
    // $1 without its parameter would otherwise bind the prefix.
    await expect(
      sql.begin((tx) => producer.emitWith(tx, fact('s-4'), { text: 'delete from orders where id = $1' })),
    ).rejects.toThrow(/names \$1 but 0 parameter/)
    await expect(
      sql.begin((tx) => producer.emitWith(tx, fact('s-5'), tx`insert into orders values (${'s-5'}, $2)`)),
    ).rejects.toBeInstanceOf(UnfoldableStatementError)
    expect(await ids('s-%')).toEqual([])
    expect(await slot.readTransactions()).toEqual([])
  })
})

describe('createProducer', () => {
  it('refuses an empty, over-long or topic-unsafe prefix', () => {
    expect(() => createProducer({ prefix: '' })).toThrow(InvalidPrefixError)
    expect(() => createProducer({ prefix: 'p'.repeat(201) })).toThrow(/longer than 200/)
    expect(() => createProducer({ prefix: 'bad prefix' })).toThrow(InvalidPrefixError)
    expect(createProducer({ prefix: 'p'.repeat(200) }).prefix).toHaveLength(200)
  })

  it('refuses a non-positive payload limit', () => {
    expect(() => createProducer({ prefix, maxPayloadBytes: 0 })).toThrow(RangeError)
  })
})

describe('concurrent writers', () => {
  it('8 writers x 1,000 facts all arrive, each transaction contiguous and in emit order', async () => {
    const writers = 8
    const transactionsPerWriter = 50
    const factsPerTransaction = 20
    const pool = postgres(databaseUrl, { max: writers, onnotice: () => {} })
    const emitted = new Map<string, string[]>()
    try {
      await Promise.all(
        Array.from({ length: writers }, async (_, writer) => {
          for (let transaction = 0; transaction < transactionsPerWriter; transaction++) {
            const label = `w${writer}-t${transaction}`
            const facts = Array.from({ length: factsPerTransaction }, (_, index) =>
              fact(`${label}-f${index}`),
            )
            const ids = await pool.begin(async (tx) => {
              await tx`insert into orders values (${label})`
              // Alternate single emits and batches so both paths interleave across writers.
              if (transaction % 2 === 0)
                return (await producer.emitMany(tx, facts)).map((envelope) => envelope.id)
              const single: string[] = []
              for (const input of facts) single.push((await producer.emit(tx, input)).id)
              return single
            })
            emitted.set(label, ids)
          }
        }),
      )
    } finally {
      await pool.end()
    }
    const transactions = await slot.readTransactions()
    expect(transactions).toHaveLength(writers * transactionsPerWriter)
    let total = 0
    for (const transaction of transactions) {
      const envelopes = transaction.messages.map((message) => decodeEnvelope(message.content))
      const label = envelopes[0]!.aggregateId.replace(/-f\d+$/, '')
      expect(envelopes.map((envelope) => envelope.id)).toEqual(emitted.get(label))
      total += envelopes.length
    }
    expect(total).toBe(writers * 1000)
  })
})

describe('postgresJsStatementText', () => {
  it('spells out a query of plain values as postgres.js would, and leaves helpers alone', () => {
    const when = new Date(0)
    expect(
      postgresJsStatementText(
        sql`update orders set id = ${'x'} where id = ${7} and at < ${when} or b = ${null}`,
      ),
    ).toEqual({
      text: 'update orders set id = $1 where id = $2 and at < $3 or b = $4',
      params: ['x', 7, when, null],
    })
    expect(postgresJsStatementText(sql`insert into orders ${sql({ id: 'y' })}`)).toBeUndefined()
    expect(postgresJsStatementText(sql`delete from orders where id = any(${['a', 'b']})`)).toBeUndefined()
    expect(postgresJsStatementText(sql.unsafe('delete from orders where id = $1', ['z']))).toEqual({
      text: 'delete from orders where id = $1',
      params: ['z'],
    })
  })
})
