/// <reference types="node" preserve="true" />
import type { Socket } from 'node:net'
import type { AsynchronousMessages } from './asynchronous-messages.js'
import { PostgresError } from './postgres-error.js'
import { ReplicationProtocolError } from './replication-errors.js'
import type { BackendMessageSource } from './wire/backend-message-source.js'
import { parseDataRow, parseErrorFields, parseRowDescription } from './wire/backend-messages.js'
import { queryMessage } from './wire/frontend-messages.js'
import { BackendCode } from './wire/message-codes.js'

/** The simple query protocol, which is all a replication connection speaks: SQL and replication commands. */

export interface QueryResult {
  columns: string[]
  rows: (string | null)[][]
}

/** Where a query's messages come from and go to. */
export interface QueryChannel {
  socket: Socket
  source: BackendMessageSource
  messages: AsynchronousMessages
}

/** Sends one Query and reads up to ReadyForQuery; returns the last result, in text. */
export async function simpleQuery(channel: QueryChannel, sql: string): Promise<QueryResult> {
  channel.socket.write(queryMessage(sql))
  let result: QueryResult = { columns: [], rows: [] }
  let error: PostgresError | undefined
  while (true) {
    const message = await channel.messages.next(channel.source)
    switch (message.code) {
      case BackendCode.rowDescription:
        result = { columns: parseRowDescription(message.body), rows: [] }
        break
      case BackendCode.dataRow:
        result.rows.push(parseDataRow(message.body))
        break
      case BackendCode.commandComplete:
      case BackendCode.emptyQueryResponse:
        break
      case BackendCode.errorResponse:
        error = new PostgresError(
          parseErrorFields(message.body),
          sql.length > 120 ? `${sql.slice(0, 117)}...` : sql,
        )
        break
      case BackendCode.readyForQuery:
        if (error) throw error
        return result
      default:
        throw new ReplicationProtocolError(
          `unexpected backend message 0x${message.code.toString(16)} in reply to a simple query`,
        )
    }
  }
}

/**
 * Sends START_REPLICATION and waits for CopyBothResponse, after which the connection streams.
 * A refusal is the server's ErrorResponse, thrown once ReadyForQuery follows it.
 */
export async function startCopyBoth(channel: QueryChannel, command: string, context: string): Promise<void> {
  channel.socket.write(queryMessage(command))
  let error: PostgresError | undefined
  while (true) {
    const message = await channel.messages.next(channel.source)
    if (message.code === BackendCode.copyBothResponse) return
    if (message.code === BackendCode.errorResponse) {
      error = new PostgresError(parseErrorFields(message.body), context)
    } else if (message.code === BackendCode.readyForQuery && error) {
      throw error
    } else {
      throw new ReplicationProtocolError(
        `unexpected backend message 0x${message.code.toString(16)} in reply to START_REPLICATION`,
      )
    }
  }
}
