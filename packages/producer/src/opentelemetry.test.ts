import { AsyncLocalStorage } from 'node:async_hooks'
import { decodeEnvelope } from '@factlib/core'
import { createDatabase, startPostgres, uniqueName } from '@factlib/testing'
import {
  type Context,
  type ContextManager,
  context,
  ROOT_CONTEXT,
  TraceFlags,
  trace,
} from '@opentelemetry/api'
import postgres from 'postgres'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createProducer } from './index.js'
import { LogicalSlot } from './test-support/logical-slot.js'

/** The smallest real context manager: what an OpenTelemetry SDK registers for Node. */
class AsyncLocalStorageContextManager implements ContextManager {
  private readonly storage = new AsyncLocalStorage<Context>()
  active(): Context {
    return this.storage.getStore() ?? ROOT_CONTEXT
  }
  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
    activeContext: Context,
    fn: F,
    thisArg?: ThisParameterType<F>,
    ...args: A
  ): ReturnType<F> {
    return this.storage.run(activeContext, () => fn.apply(thisArg, args))
  }
  bind<T>(_context: Context, target: T): T {
    return target
  }
  enable(): this {
    return this
  }
  disable(): this {
    this.storage.disable()
    return this
  }
}

let sql: postgres.Sql
let slot: LogicalSlot
const traceId = '4bf92f3577b34da6a3ce929d0e0e4736'
const spanId = '00f067aa0ba902b7'
const fact = { aggregateType: 'user', aggregateId: '1', eventType: 'user.created', payload: new Uint8Array() }

beforeAll(async () => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager())
  const database = await createDatabase(await startPostgres(), 'otel')
  sql = postgres(database.url, { max: 2, onnotice: () => {} })
  slot = await LogicalSlot.create(database.url, uniqueName('otel_slot'))
})

afterAll(async () => {
  context.disable()
  await slot?.dispose()
  await sql?.end()
})

function withSpan<T>(flags: number, fn: () => Promise<T>, name?: string): Promise<T> {
  const span = trace.wrapSpanContext({ traceId, spanId, traceFlags: flags })
  // An SDK span exposes its name; the API's non-recording span does not, so add one for the test.
  if (name) Object.assign(span, { name })
  return context.with(trace.setSpan(context.active(), span), fn)
}

describe('trace context from OpenTelemetry', () => {
  const producer = createProducer({ prefix: 'otel' })

  it('fills traceInfo from the active span, including the sampled flag and span name', async () => {
    const envelope = await withSpan(
      TraceFlags.SAMPLED,
      () => sql.begin((tx) => producer.emit(tx, fact)),
      'POST /users',
    )
    expect(envelope.traceInfo).toEqual({ traceId, spanId, isSampled: true, parentOp: 'POST /users' })
    const [message] = await slot.readMessages()
    expect(decodeEnvelope(message!.content).traceInfo).toEqual(envelope.traceInfo)
  })

  it('records an unsampled span as isSampled false', async () => {
    const envelope = await withSpan(TraceFlags.NONE, () => sql.begin((tx) => producer.emit(tx, fact)))
    expect(envelope.traceInfo).toEqual({ traceId, spanId, isSampled: false })
    await slot.readMessages()
  })

  it('adds nothing without an active span, and keeps trace info the fact already has', async () => {
    const [plain] = await sql.begin((tx) => producer.emitMany(tx, [fact]))
    expect(plain).not.toHaveProperty('traceInfo')
    const own = { traceId: 'sentry-trace', spanId: 'sentry-span', parentOp: 'celery.task' }
    const explicit = await withSpan(TraceFlags.SAMPLED, () =>
      sql.begin((tx) => producer.emit(tx, { ...fact, traceInfo: own })),
    )
    expect(explicit.traceInfo).toEqual(own)
    await slot.readMessages()
  })

  it('can be switched off or replaced by a custom source', async () => {
    const off = createProducer({ prefix: 'otel', traceContext: false })
    const custom = createProducer({ prefix: 'otel', traceContext: () => ({ traceId: 'c', spanId: 'd' }) })
    const [withoutTrace, withCustom] = await withSpan(TraceFlags.SAMPLED, () =>
      sql.begin(async (tx) => [await off.emit(tx, fact), await custom.emit(tx, fact)]),
    )
    expect(withoutTrace).not.toHaveProperty('traceInfo')
    expect(withCustom!.traceInfo).toEqual({ traceId: 'c', spanId: 'd' })
    expect(await slot.readMessages()).toHaveLength(2)
  })
})
