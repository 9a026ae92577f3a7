import fc from 'fast-check'
import { PgoutputDecodeError } from '../pgoutput-decode-error.js'
import { PgoutputDecoder } from '../pgoutput-decoder.js'
import { parseReplicationFrame } from '../replication-frames.js'
import { loadCapturedStream } from './captured-vectors.js'

/** Every distinct captured message, as seeds that mutations start from. */
const v1 = loadCapturedStream('pgoutput-v1')
const seeds = [
  ...v1,
  ...loadCapturedStream('pgoutput-v2-streaming').filter(
    (row) => row.data[0] !== 0x49 || row.data.length < 200,
  ),
].map((row) => row.data)
// Outside stream blocks only: the v2 stream holds relation rows that carry an xid.
const relationRows = v1.map((row) => row.data).filter((data) => data[0] === 0x52)

export interface FuzzInput {
  streaming: boolean
  bytes: Uint8Array
}

const tagBytes = [...'BCORYIUDTMSEcAbPKrpwk'].map((character) => character.charCodeAt(0))

const mutation = fc.oneof(
  fc.record({ tag: fc.constant('flip' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ tag: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ tag: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ maxLength: 8 }) }),
  fc.record({ tag: fc.constant('delete' as const), at: fc.nat(), count: fc.integer({ min: 1, max: 8 }) }),
  fc.record({ tag: fc.constant('length' as const), at: fc.nat(), value: fc.integer() }),
)

type Mutation = typeof mutation extends fc.Arbitrary<infer T> ? T : never

function mutate(seed: Uint8Array, mutations: Mutation[]): Uint8Array {
  let bytes = Uint8Array.from(seed)
  for (const change of mutations) {
    const at = bytes.length === 0 ? 0 : change.at % (bytes.length + 1)
    switch (change.tag) {
      case 'flip':
        if (at < bytes.length) bytes[at] = change.value
        break
      case 'truncate':
        bytes = bytes.subarray(0, at)
        break
      case 'insert':
        bytes = Uint8Array.from([...bytes.subarray(0, at), ...change.bytes, ...bytes.subarray(at)])
        break
      case 'delete':
        bytes = Uint8Array.from([...bytes.subarray(0, at), ...bytes.subarray(at + change.count)])
        break
      case 'length':
        // Overwrite four bytes with an arbitrary int32: hits count and length fields.
        if (at + 4 <= bytes.length) new DataView(bytes.buffer, bytes.byteOffset).setInt32(at, change.value)
        break
    }
  }
  return bytes
}

/** Random bytes, random bytes behind a valid tag, and captured messages under random mutations. */
export function pgoutputInputs(): fc.Arbitrary<FuzzInput> {
  const random = fc.uint8Array({ maxLength: 64 })
  const tagged = fc
    .tuple(fc.constantFrom(...tagBytes), fc.uint8Array({ maxLength: 96 }))
    .map(([tag, rest]) => Uint8Array.from([tag, ...rest]))
  const mutated = fc
    .tuple(fc.constantFrom(...seeds), fc.array(mutation, { minLength: 1, maxLength: 4 }))
    .map(([seed, mutations]) => mutate(seed, mutations))
  return fc.record({ streaming: fc.boolean(), bytes: fc.oneof(random, tagged, mutated, mutated) })
}

/** The fuzz property: decoding anything either succeeds or throws PgoutputDecodeError. */
export function decodeNeverThrowsAnythingElse(input: FuzzInput): boolean {
  const decoder = new PgoutputDecoder()
  for (const relation of relationRows) decoder.decode(relation)
  if (input.streaming) decoder.decode(Uint8Array.of(0x53, 0, 0, 0, 1, 1))
  for (const attempt of [() => decoder.decode(input.bytes), () => parseReplicationFrame(input.bytes)]) {
    try {
      attempt()
    } catch (error) {
      if (!(error instanceof PgoutputDecodeError)) throw error
    }
  }
  return true
}
