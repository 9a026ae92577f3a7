import { AsyncLocalStorage } from 'node:async_hooks'
import {
  type Context,
  type ContextManager,
  context,
  ROOT_CONTEXT,
  type Span,
  type SpanOptions,
  type Tracer,
  trace,
} from '@opentelemetry/api'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseTraceparent, withHandlerSpan } from './handler-span.js'

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

interface Started {
  name: string
  options: SpanOptions
  parent: { traceId: string; spanId: string; isRemote?: boolean } | undefined
  ended: boolean
  status?: number
}
const started: Started[] = []

/** A tracer that records the spans it starts, as an SDK's would be exported. */
const recordingTracer = {
  startSpan(name: string, options: SpanOptions = {}, parentContext?: Context): Span {
    const entry: Started = {
      name,
      options,
      parent: trace.getSpanContext(parentContext ?? ROOT_CONTEXT),
      ended: false,
    }
    started.push(entry)
    const spanContext = {
      traceId: entry.parent?.traceId ?? 'f'.repeat(32),
      spanId: '1'.repeat(16),
      traceFlags: 1,
    }
    const span = trace.wrapSpanContext(spanContext)
    return Object.assign(span, {
      end: () => {
        entry.ended = true
      },
      setStatus: (status: { code: number }) => {
        entry.status = status.code
        return span
      },
      recordException: () => {},
    })
  },
  startActiveSpan(name: string, options: SpanOptions, parentContext: Context, fn: (span: Span) => unknown) {
    const span = recordingTracer.startSpan(name, options, parentContext)
    return context.with(trace.setSpan(parentContext, span), () => fn(span))
  },
} as unknown as Tracer

beforeAll(() => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager())
  trace.setGlobalTracerProvider({ getTracer: () => recordingTracer })
})

afterAll(() => {
  context.disable()
  trace.disable()
})

const record = { topic: 'shop.order', partition: 1, offset: '7', key: null, value: null, headers: {} }
const traceId = '4bf92f3577b34da6a3ce929d0e0e4736'
const spanId = '00f067aa0ba902b7'

describe('the handler span', () => {
  it("has the record's traceparent as its remote parent, and the handler runs inside it", async () => {
    started.length = 0
    const inside = await withHandlerSpan(
      true,
      record,
      'order.placed',
      `00-${traceId}-${spanId}-01`,
      async () => trace.getSpanContext(context.active()),
    )
    expect(started).toHaveLength(1)
    expect(started[0]).toMatchObject({
      name: 'order.placed process',
      ended: true,
      parent: { traceId, spanId, isRemote: true },
    })
    expect(started[0]!.options.attributes).toMatchObject({
      'messaging.destination.name': 'shop.order',
      'messaging.kafka.offset': '7',
    })
    expect(inside?.traceId).toBe(traceId)
  })

  it('marks a failing handler as an error and ends the span', async () => {
    started.length = 0
    await expect(
      withHandlerSpan(true, record, 'order.placed', undefined, async () => {
        throw new Error('no')
      }),
    ).rejects.toThrow('no')
    expect(started[0]).toMatchObject({ ended: true, status: 2, parent: undefined })
  })

  it('starts no span when tracing is off', async () => {
    started.length = 0
    await withHandlerSpan(false, record, 'x', `00-${traceId}-${spanId}-01`, async () => {})
    expect(started).toHaveLength(0)
  })

  it('reads only valid W3C traceparents', () => {
    expect(parseTraceparent(`00-${traceId}-${spanId}-01`)).toEqual({ traceId, spanId, traceFlags: 1 })
    expect(parseTraceparent(`00-${'0'.repeat(32)}-${spanId}-01`)).toBeUndefined()
    expect(parseTraceparent('garbage')).toBeUndefined()
    expect(parseTraceparent(undefined)).toBeUndefined()
  })
})
