// Run: node packages/core/examples/typed-fact.ts (after `pnpm --filter @factlib/core build`)

import {
  createEnvelope,
  decodeEnvelope,
  defineFact,
  encodeEnvelope,
  envelopeToJson,
  FactPayloadDecodeError,
  factHeaders,
  InvalidFactError,
  readEnvelopeHeader,
  topicFor,
} from '@factlib/core'
import { Schema } from 'effect'

const UserCreated = defineFact({
  aggregateType: 'user',
  eventType: 'user.created',
  payload: Schema.Struct({
    email: Schema.String.pipe(Schema.pattern(/@/)),
    plan: Schema.Literal('free', 'pro'),
  }),
})

// Producer side: the payload is typed and checked when the fact is built.
const envelope = createEnvelope(UserCreated.make('42', { email: 'ada@example.com', plan: 'pro' }))
const bytes = encodeEnvelope(envelope) // what goes into the WAL and onto Kafka

// Relay side: route without decoding the payload.
const header = readEnvelopeHeader(bytes)
console.log(topicFor('factlib', header.aggregateType), factHeaders(header, '0/16B3748'))

// Consumer side: back to the typed payload, or a typed error.
const fact = UserCreated.decode(bytes)
console.log(fact.payload.plan, envelopeToJson(decodeEnvelope(bytes), { payload: 'json' }))

try {
  UserCreated.make('43', { email: 'not-an-email', plan: 'pro' })
} catch (error) {
  if (error instanceof InvalidFactError) console.log(error.issues) // [{ path: 'payload.email', ... }]
}

const wrong = createEnvelope({
  aggregateType: 'user',
  aggregateId: '44',
  eventType: 'user.created',
  payload: new TextEncoder().encode('{"email":"x@y"}'),
})
const result = UserCreated.safeDecode(wrong)
if (!result.success && result.error instanceof FactPayloadDecodeError) console.log(result.error.issues)
