/// <reference types="node" preserve="true" />
// kafkajs frames every request (size, api key and version, correlation id, client id) by copying the
// encoded body into a new encoder, then that encoder into another one for the size: two copies of
// every produce request, about 1.5 MB of memory written per 768 KB request. The produce request
// encoder leaves room before the body instead, and the frame is written there: no copy. Any other
// body gets one copy, into a buffer of the exact size. Either way the bytes are kafkajs's.

interface Encoder {
  buf: Buffer
  offset: number
}

interface FramedRequest {
  apiKey: number
  apiVersion: number
  encode(): Promise<Encoder> | Encoder
}

/** Marks an encoder whose `buf` starts `frameRoom` bytes into the buffer kept under this key. */
const roomBefore = Symbol('@factlib/kafka-sink.frame-room')

/**
 * Room left before a body: the frame's 14 fixed bytes and a client id of up to 114 UTF-8 bytes
 * (a longer one costs a copy, nothing else).
 */
export const frameRoom = 128

type EncoderWithRoom = Encoder & { [roomBefore]?: Buffer }

/** An encoder of `size` bytes' capacity with room for the frame before it. */
export function encoderWithFrameRoom<E extends Encoder>(Encoder: new () => E, size: number): E {
  const whole = Buffer.allocUnsafe(frameRoom + size)
  const encoder = new Encoder() as E & EncoderWithRoom
  encoder.buf = whole.subarray(frameRoom)
  encoder.offset = 0
  encoder[roomBefore] = whole
  return encoder
}

/** kafkajs's protocol/request.js, corrected: the framed request as an encoder whose `buffer` is sent. */
export function createRequestFrame<E extends Encoder>(Encoder: new () => E) {
  return async (args: { correlationId: number; clientId: string | null; request: FramedRequest }) => {
    const { correlationId, clientId, request } = args
    const body = (await request.encode()) as EncoderWithRoom
    const clientIdBytes = clientId == null ? 0 : Buffer.byteLength(clientId, 'utf8')
    const frameSize = 4 + 2 + 2 + 4 + 2 + clientIdBytes
    const whole = body[roomBefore]
    // The body's encoder may have grown out of the buffer with room (it never does once sized).
    const bodyAt = whole && whole.buffer === body.buf.buffer ? body.buf.byteOffset - whole.byteOffset : -1
    let buf: Buffer
    let start: number
    if (whole && bodyAt >= frameSize) {
      buf = whole
      start = bodyAt - frameSize
    } else {
      buf = Buffer.allocUnsafe(frameSize + body.offset)
      start = 0
      body.buf.copy(buf, frameSize, 0, body.offset)
    }
    // The size counts everything after itself.
    let at = buf.writeInt32BE(frameSize - 4 + body.offset, start)
    at = buf.writeInt16BE(request.apiKey, at)
    at = buf.writeInt16BE(request.apiVersion, at)
    at = buf.writeInt32BE(correlationId, at)
    at = buf.writeInt16BE(clientId == null ? -1 : clientIdBytes, at)
    if (clientId != null) buf.write(clientId, at, clientIdBytes, 'utf8')
    const framed = new Encoder()
    framed.buf = buf.subarray(start, start + frameSize + body.offset)
    framed.offset = frameSize + body.offset
    return framed
  }
}
