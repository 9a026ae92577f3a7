import type { Logger } from './logger.js'
import type { BackendMessage, BackendMessageSource } from './wire/backend-message-source.js'
import { parseErrorFields, parseParameterStatus } from './wire/backend-messages.js'
import { BackendCode } from './wire/message-codes.js'

/**
 * NoticeResponse and ParameterStatus: the messages a server may send at any point of the
 * conversation ("asynchronous operations" in the protocol), during start-up, in reply to a command
 * and while streaming alike. Every phase of a connection hands them here.
 */
export class AsynchronousMessages {
  private readonly reported = new Map<string, string>()
  private startedUp = false

  constructor(private readonly logger: Logger) {}

  /** The ParameterStatus values reported so far (server_version, server_encoding, ...). */
  get parameters(): ReadonlyMap<string, string> {
    return this.reported
  }

  /** From now on a ParameterStatus is a change worth a debug line, not part of the start-up burst. */
  startUpDone(): void {
    this.startedUp = true
  }

  /** Handles `message` if it is a notice or a parameter report; false for anything else. */
  handle(message: BackendMessage): boolean {
    if (message.code === BackendCode.noticeResponse) {
      this.logger.info({ notice: parseErrorFields(message.body, 'NoticeResponse') }, 'server notice')
      return true
    }
    if (message.code === BackendCode.parameterStatus) {
      const parameter = parseParameterStatus(message.body)
      this.reported.set(parameter.name, parameter.value)
      if (this.startedUp) this.logger.debug(parameter, 'server parameter changed')
      return true
    }
    return false
  }

  /** The next message from `source` that is neither a notice nor a parameter report. */
  async next(source: BackendMessageSource): Promise<BackendMessage> {
    while (true) {
      const message = await source.next()
      if (!this.handle(message)) return message
    }
  }
}
