/// <reference types="node" preserve="true" />
import { HeaderName } from '@factlib/core/wire'
import type { FactRecordHeaders } from './fact-record.js'

type RawHeaderValue = Buffer | string | ReadonlyArray<Buffer | string> | undefined

/** Record headers as strings: a repeated header keeps its first value, an absent value is left out. */
export function headersAsText(
  raw: Readonly<Record<string, RawHeaderValue>> | undefined,
): Record<string, string> {
  const text: Record<string, string> = Object.create(null)
  if (!raw) return text
  for (const [name, value] of Object.entries(raw)) {
    const first = Array.isArray(value) ? value[0] : value
    if (first === undefined || first === null) continue
    text[name] = typeof first === 'string' ? first : (first as Buffer).toString('utf8')
  }
  return text
}

/** The fact headers owlpost writes, by their names in @factlib/core. */
export function factRecordHeaders(all: Readonly<Record<string, string>>): FactRecordHeaders {
  return {
    eventId: all[HeaderName.eventId],
    eventType: all[HeaderName.eventType],
    lsn: all[HeaderName.lsn],
    traceparent: all[HeaderName.traceparent],
    all,
  }
}
