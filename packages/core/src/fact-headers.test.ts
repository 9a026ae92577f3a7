import { describe, expect, it } from 'vitest'
import { factHeaders } from './fact-headers.js'
import { HeaderName } from './header-name.js'
import type { EnvelopeHeader } from './read-envelope-header.js'
import { deadLetterTopicFor, topicFor } from './topic-naming.js'
import { traceInfoFromWire } from './trace-metadata.js'
import { traceparentOf } from './traceparent.js'

const header = { id: 'id-1', aggregateType: 'user', aggregateId: '42', eventType: 'user.created' }

/** A header with trace info as readEnvelopeHeader builds it from the wire. */
function traced(traceId: string, spanId: string, entries: Array<[string, string]>): EnvelopeHeader {
  const metadata = new Map(entries)
  return {
    ...header,
    trace: { traceId, spanId, metadata },
    traceInfo: traceInfoFromWire(traceId, spanId, metadata),
  }
}

describe('naming', () => {
  it('names topics like the Go factlib', () => {
    expect(topicFor('factlib', 'user')).toBe('factlib.user')
    expect(deadLetterTopicFor('factlib')).toBe('factlib.dead-letter')
  })

  it('exposes the shared header names, the acknowledgement position upper case as in Go', () => {
    expect(HeaderName).toEqual({
      eventId: 'event_id',
      eventType: 'event_type',
      lsn: 'LSN',
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
      LSN: '0/16B3748',
    })
  })

  it('carries an empty event_id for an envelope without an id, as Go does', () => {
    expect(factHeaders({ ...header, id: '' }, '0/1')).toEqual({
      event_id: '',
      event_type: 'user.created',
      LSN: '0/1',
    })
  })

  it('forwards every trace metadata entry verbatim and adds a W3C traceparent for valid ids', () => {
    const headers = factHeaders(
      traced('4BF92F3577B34DA6A3CE929D0E0E4736', '00f067aa0ba902b7', [
        ['parent_op', 'POST /users'],
        ['is_sampled', 'True'],
        ['tenant', 'acme'],
      ]),
      '1/0',
    )
    expect(headers).toEqual({
      event_id: 'id-1',
      event_type: 'user.created',
      LSN: '1/0',
      trace_id: '4BF92F3577B34DA6A3CE929D0E0E4736',
      span_id: '00f067aa0ba902b7',
      parent_op: 'POST /users',
      is_sampled: 'True',
      tenant: 'acme',
      traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
    })
  })

  it('sets no trace header at all when the trace id is empty, whatever else the trace holds', () => {
    expect(factHeaders(traced('', 'span', [['tenant', 'acme']]), '0/1')).toEqual({
      event_id: 'id-1',
      event_type: 'user.created',
      LSN: '0/1',
    })
    expect(factHeaders(traced('', '', []), '0/1')).toEqual({
      event_id: 'id-1',
      event_type: 'user.created',
      LSN: '0/1',
    })
  })

  it('always sets span_id once the trace id is set, even empty, and no traceparent for non-W3C ids', () => {
    expect(factHeaders(traced('sentry-ish', '', [['is_sampled', '0']]), '0/1')).toEqual({
      event_id: 'id-1',
      event_type: 'user.created',
      LSN: '0/1',
      trace_id: 'sentry-ish',
      span_id: '',
      is_sampled: '0',
    })
  })

  it('lets a metadata entry replace an earlier header, as Go map assignment does, and keeps a stored traceparent', () => {
    const headers = factHeaders(
      traced('4bf92f3577b34da6a3ce929d0e0e4736', '00f067aa0ba902b7', [
        ['event_type', 'overridden'],
        ['traceparent', 'stored'],
        ['__proto__', 'data'],
      ]),
      '0/1',
    )
    expect(headers.event_type).toBe('overridden')
    expect(headers.traceparent).toBe('stored')
    expect(Object.getPrototypeOf(headers)).toBe(Object.prototype)
    expect(Object.keys(headers)).toContain('__proto__')
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
