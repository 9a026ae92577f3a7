import { BufferReader, type DecodeErrorFactory } from '../buffer-reader.js'
import type { PostgresErrorFields } from '../postgres-error.js'
import { BackendMessageDecodeError } from '../replication-errors.js'

/**
 * Parsers for the bodies of the backend messages a replication client meets. A body that does not
 * parse throws BackendMessageDecodeError naming the message and the field.
 */

const backendMessageDecodeError: DecodeErrorFactory = (messageType, field, offset, reason) =>
  new BackendMessageDecodeError(messageType, field, offset, reason)

function readerFor(body: Uint8Array, messageType: string): BufferReader {
  const reader = new BufferReader(body, backendMessageDecodeError)
  reader.messageType = messageType
  return reader
}

const errorFieldNames: Record<string, keyof PostgresErrorFields> = {
  V: 'severity', // non-localized severity (9.6+); preferred over S
  C: 'code',
  M: 'message',
  D: 'detail',
  H: 'hint',
  P: 'position',
  W: 'where',
  s: 'schema',
  t: 'table',
  c: 'column',
  n: 'constraint',
  R: 'routine',
}

/** ErrorResponse and NoticeResponse: (Byte1 field code, String value)*, then a zero byte. */
export function parseErrorFields(
  body: Uint8Array,
  messageType: 'ErrorResponse' | 'NoticeResponse' = 'ErrorResponse',
): PostgresErrorFields {
  const reader = readerFor(body, messageType)
  const fields: Partial<PostgresErrorFields> = {}
  let localizedSeverity = 'ERROR'
  while (reader.remaining > 0) {
    const code = reader.uint8('field.code')
    if (code === 0) break
    const value = reader.cstring('field.value')
    const key = String.fromCharCode(code)
    if (key === 'S') localizedSeverity = value
    const name = errorFieldNames[key]
    if (name) fields[name] = value
  }
  return {
    severity: fields.severity ?? localizedSeverity,
    code: fields.code ?? 'XX000',
    message: fields.message ?? '',
    ...fields,
  }
}

export function parseParameterStatus(body: Uint8Array): { name: string; value: string } {
  const reader = readerFor(body, 'ParameterStatus')
  return { name: reader.cstring('name'), value: reader.cstring('value') }
}

export function parseRowDescription(body: Uint8Array): string[] {
  const reader = readerFor(body, 'RowDescription')
  const count = reader.int16('fields.count')
  const names: string[] = []
  for (let index = 0; index < count; index++) {
    names.push(reader.cstring('field.name'))
    // table oid, column number, type oid, type size, type modifier, format code
    reader.bytesView(18, 'field.attributes')
  }
  return names
}

export function parseDataRow(body: Uint8Array): (string | null)[] {
  const reader = readerFor(body, 'DataRow')
  const count = reader.int16('columns.count')
  const values: (string | null)[] = []
  for (let index = 0; index < count; index++) {
    const length = reader.int32('column.length')
    values.push(length < 0 ? null : reader.text(length, 'column.value'))
  }
  return values
}

export interface AuthenticationRequest {
  code: number
  /** MD5 salt, SASL mechanisms, or SASL data, depending on the code. */
  data: Uint8Array
}

export function parseAuthentication(body: Uint8Array): AuthenticationRequest {
  const reader = readerFor(body, 'Authentication')
  const code = reader.int32('code')
  return { code, data: reader.bytesView(reader.remaining, 'data') }
}

/** AuthenticationSASL: the mechanism names, each a String, then a zero byte. */
export function parseSaslMechanisms(data: Uint8Array): string[] {
  const reader = readerFor(data, 'AuthenticationSASL')
  const mechanisms: string[] = []
  while (reader.remaining > 0) {
    const name = reader.cstring('mechanism')
    if (name === '') break
    mechanisms.push(name)
  }
  return mechanisms
}
