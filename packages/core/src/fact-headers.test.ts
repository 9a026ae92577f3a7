import { describe, expect, it } from 'vitest'
import { factHeaders } from './fact-headers.js'
import { HeaderName } from './header-name.js'
import { deadLetterTopicFor, topicFor } from './topic-naming.js'
import { traceparentOf } from './traceparent.js'

const header = { id: 'id-1', aggregateType: 'user', aggregateId: '42', eventType: 'user.created' }

describe('naming', () => {
  it('names topics like the Go factlib', () => {
    expect(topicFor('factlib', 'user')).toBe('factlib.user')
    expect(deadLetterTopicFor('factlib')).toBe('factlib.dead-letter')
  })

  it('exposes the shared header names', () => {
    expect(HeaderName).toEqual({
      eventId: 'event_id',
      eventType: 'event_type',
      lsn: 'lsn',
      traceId: 'trace_id',
      spanId: 'span_id',
      parentOp: 'parent_op',
      isSampled: 'is_sampled',
      traceparent: 'traceparent',
    })
  })
})

describe('factHeaders', () => {
  it('carries only id, type and LSN without trace info', () => {
    expect(factHeaders(header, '0/16B3748')).toEqual({
      event_id: 'id-1',
      event_type: 'user.created',
      lsn: '0/16B3748',
    })
  })

  it('adds trace headers and a W3C traceparent for valid ids', () => {
    const traceInfo = {
      traceId: '4BF92F3577B34DA6A3CE929D0E0E4736',
      spanId: '00f067aa0ba902b7',
      parentOp: 'POST /users',
      isSampled: true,
    }
    expect(factHeaders({ ...header, traceInfo }, '1/0')).toEqual({
      event_id: 'id-1',
      event_type: 'user.created',
      lsn: '1/0',
      trace_id: traceInfo.traceId,
      span_id: '00f067aa0ba902b7',
      parent_op: 'POST /users',
      is_sampled: '1',
      traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
    })
  })

  it('omits traceparent for ids that are not W3C and omits absent parts', () => {
    const headers = factHeaders(
      { ...header, traceInfo: { traceId: 'sentry-ish', spanId: '', isSampled: false } },
      '0/1',
    )
    expect(headers).toEqual({
      event_id: 'id-1',
      event_type: 'user.created',
      lsn: '0/1',
      trace_id: 'sentry-ish',
      is_sampled: '0',
    })
  })

  it('refuses all-zero W3C ids', () => {
    expect(traceparentOf({ traceId: '0'.repeat(32), spanId: '00f067aa0ba902b7' })).toBeUndefined()
    expect(
      traceparentOf({ traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '0'.repeat(16) }),
    ).toBeUndefined()
    expect(traceparentOf({ traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7' })).toBe(
      '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00',
    )
  })
})
