import { describe, expect, it } from 'vitest'
import { BackendMessageDecodeError } from '../replication-errors.js'
import { ByteBuilder } from '../test-support/pgoutput-builder.js'
import { parseDataRow, parseErrorFields } from './backend-messages.js'

describe('backend message parsers', () => {
  it('reads the fields of an ErrorResponse, preferring the non-localized severity', () => {
    const body = new ByteBuilder()
      .char('S')
      .cstring('FEHLER')
      .char('V')
      .cstring('ERROR')
      .char('C')
      .cstring('42704')
      .char('M')
      .cstring('replication slot "s" does not exist')
      .char('W')
      .cstring('somewhere')
      .byte(0)
      .build()
    expect(parseErrorFields(body)).toEqual({
      severity: 'ERROR',
      code: '42704',
      message: 'replication slot "s" does not exist',
      where: 'somewhere',
    })
  })

  it('rejects a broken body with BackendMessageDecodeError naming the message and field', () => {
    const unterminated = new ByteBuilder().char('C').build()
    expect(() => parseErrorFields(unterminated, 'NoticeResponse')).toThrow(
      new BackendMessageDecodeError(
        'NoticeResponse',
        'field.value',
        1,
        'string has no NUL terminator before the end of the message',
      ),
    )
    let thrown: unknown
    try {
      parseDataRow(new ByteBuilder().int16(1).int32(5).build())
    } catch (error) {
      thrown = error
    }
    expect(thrown).toBeInstanceOf(BackendMessageDecodeError)
    expect(thrown).toMatchObject({
      name: 'BackendMessageDecodeError',
      messageType: 'DataRow',
      field: 'column.value',
      offset: 6,
      message:
        'cannot parse backend message DataRow: field column.value at offset 6: needs 5 byte(s) but only 0 remain',
    })
  })
})
