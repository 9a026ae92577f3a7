import { describe, expect, it } from 'vitest'
import { createProducer, NotInTransactionError, type SqlExecutor } from './index.js'

// In-memory executors: these tests check the producer's own logic; the real-database behaviour
// is covered in producer.test.ts and adapters.test.ts.
function recordingExecutor(inTransaction?: boolean) {
  const calls: Array<{ text: string; params: unknown[] }> = []
  const executor: SqlExecutor = {
    description: 'recording executor',
    async query(text, params) {
      calls.push({ text, params })
      return []
    },
    ...(inTransaction === undefined ? {} : { inTransaction: () => inTransaction }),
  }
  return { executor, calls }
}

const fact = { aggregateType: 'a', aggregateId: 'b', eventType: 'c', payload: new Uint8Array([1, 2]) }

describe('executors', () => {
  it('sends one transactional emit with the prefix and envelope bytes', async () => {
    const { executor, calls } = recordingExecutor(true)
    const envelope = await createProducer({ prefix: 'p', traceContext: false }).emit(executor, fact)
    expect(calls).toHaveLength(1)
    expect(calls[0]!.text).toBe('SELECT pg_logical_emit_message(true, $1, $2::bytea)')
    expect(calls[0]!.params[0]).toBe('p')
    expect(Buffer.isBuffer(calls[0]!.params[1])).toBe(true)
    expect((calls[0]!.params[1] as Buffer).includes(Buffer.from(envelope.id))).toBe(true)
  })

  it('sends a batch as one statement with 1-based offsets and lengths', async () => {
    const { executor, calls } = recordingExecutor()
    const envelopes = await createProducer({ prefix: 'p', traceContext: false }).emitMany(executor, [
      fact,
      fact,
      fact,
    ])
    expect(calls).toHaveLength(1)
    const [prefix, joined, starts, lengths] = calls[0]!.params as [string, Buffer, string, string]
    expect(prefix).toBe('p')
    const sizes = lengths.split(',').map(Number)
    expect(starts.split(',').map(Number)).toEqual([1, 1 + sizes[0]!, 1 + sizes[0]! + sizes[1]!])
    expect(joined.length).toBe(sizes.reduce((sum, size) => sum + size, 0))
    expect(new Set(envelopes.map((envelope) => envelope.id)).size).toBe(3)
  })

  it('refuses an executor that reports no transaction, before any query', async () => {
    const { executor, calls } = recordingExecutor(false)
    const producer = createProducer({ prefix: 'p', traceContext: false })
    await expect(producer.emit(executor, fact)).rejects.toMatchObject({
      name: 'NotInTransactionError',
      executor: 'recording executor',
    })
    await expect(producer.emitMany(executor, [])).rejects.toBeInstanceOf(NotInTransactionError)
    expect(calls).toEqual([])
  })

  it('refuses something that is neither a driver nor an executor', async () => {
    const producer = createProducer({ prefix: 'p', traceContext: false })
    await expect(producer.emit({} as SqlExecutor, fact)).rejects.toThrow(TypeError)
  })

  it('logs each emitted fact at debug level through the injected logger', async () => {
    const entries: Array<{ obj: object; msg?: string }> = []
    const log = (obj: object, msg?: string) => entries.push({ obj, msg })
    const logger = { debug: log, info: log, warn: log, error: log }
    const { executor } = recordingExecutor(true)
    const envelope = await createProducer({ prefix: 'p', traceContext: false, logger }).emit(executor, fact)
    expect(entries).toEqual([
      { obj: { prefix: 'p', id: envelope.id, aggregateType: 'a', eventType: 'c' }, msg: 'fact emitted' },
    ])
  })

  it('stamps createdAt from the injected clock', async () => {
    const { executor } = recordingExecutor(true)
    const envelope = await createProducer({ prefix: 'p', traceContext: false, now: () => 42n }).emit(
      executor,
      fact,
    )
    expect(envelope.createdAt).toBe(42n)
  })
})
