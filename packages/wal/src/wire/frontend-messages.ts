import { FrontendCode, protocolVersion3, sslRequestCode } from './message-codes.js'

const encoder = new TextEncoder()

/** Grows as needed; builds one frontend message at a time. */
class MessageWriter {
  private bytes = new Uint8Array(256)
  private view = new DataView(this.bytes.buffer)
  private length = 0

  private ensure(extra: number): void {
    if (this.length + extra <= this.bytes.length) return
    const grown = new Uint8Array(Math.max(this.bytes.length * 2, this.length + extra))
    grown.set(this.bytes.subarray(0, this.length))
    this.bytes = grown
    this.view = new DataView(grown.buffer)
  }

  byte(value: number): this {
    this.ensure(1)
    this.bytes[this.length++] = value
    return this
  }

  int32(value: number): this {
    this.ensure(4)
    this.view.setInt32(this.length, value)
    this.length += 4
    return this
  }

  raw(value: Uint8Array): this {
    this.ensure(value.length)
    this.bytes.set(value, this.length)
    this.length += value.length
    return this
  }

  cstring(value: string): this {
    return this.raw(encoder.encode(value)).byte(0)
  }

  /** A typed message: code byte, then Int32 length counting itself and the body. */
  static typed(code: number, body: (writer: MessageWriter) => void): Uint8Array {
    const writer = new MessageWriter().byte(code).int32(0)
    body(writer)
    writer.view.setInt32(1, writer.length - 1)
    return writer.bytes.slice(0, writer.length)
  }

  /** An untyped startup-phase message: Int32 length counting itself, then the body. */
  static untyped(body: (writer: MessageWriter) => void): Uint8Array {
    const writer = new MessageWriter().int32(0)
    body(writer)
    writer.view.setInt32(0, writer.length)
    return writer.bytes.slice(0, writer.length)
  }
}

export function sslRequest(): Uint8Array {
  return MessageWriter.untyped((writer) => writer.int32(sslRequestCode))
}

export function startupMessage(parameters: Record<string, string>): Uint8Array {
  return MessageWriter.untyped((writer) => {
    writer.int32(protocolVersion3)
    for (const [name, value] of Object.entries(parameters)) writer.cstring(name).cstring(value)
    writer.byte(0)
  })
}

export function passwordMessage(password: string): Uint8Array {
  return MessageWriter.typed(FrontendCode.password, (writer) => writer.cstring(password))
}

export function saslInitialResponse(mechanism: string, response: Uint8Array): Uint8Array {
  return MessageWriter.typed(FrontendCode.password, (writer) =>
    writer.cstring(mechanism).int32(response.length).raw(response),
  )
}

export function saslResponse(response: Uint8Array): Uint8Array {
  return MessageWriter.typed(FrontendCode.password, (writer) => writer.raw(response))
}

export function queryMessage(sql: string): Uint8Array {
  return MessageWriter.typed(FrontendCode.query, (writer) => writer.cstring(sql))
}

export function copyDataMessage(payload: Uint8Array): Uint8Array {
  return MessageWriter.typed(FrontendCode.copyData, (writer) => writer.raw(payload))
}

export function copyDoneMessage(): Uint8Array {
  return MessageWriter.typed(FrontendCode.copyDone, () => {})
}

export function terminateMessage(): Uint8Array {
  return MessageWriter.typed(FrontendCode.terminate, () => {})
}
