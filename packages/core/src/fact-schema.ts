// Subpath imports: the 'effect' barrel loads every module (tens of MB of heap in a relay).
import * as Schema from 'effect/Schema'

// Strings end up as protobuf `string` fields, which must be valid UTF-8: a lone surrogate
// would be silently replaced by U+FFFD when encoded, so it is refused instead.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

const WellFormedString = Schema.String.pipe(
  Schema.filter((value) => !LONE_SURROGATE.test(value) || 'must be well-formed Unicode (no lone surrogates)'),
)

const RequiredString = WellFormedString.pipe(
  Schema.filter((value) => value.length > 0 || 'must be a non-empty string'),
)

export const TraceInfoSchema = Schema.Struct({
  traceId: WellFormedString,
  spanId: WellFormedString,
  parentOp: Schema.optionalWith(WellFormedString, { exact: true }),
  isSampled: Schema.optionalWith(Schema.Boolean, { exact: true }),
  metadata: Schema.optionalWith(Schema.Record({ key: WellFormedString, value: WellFormedString }), {
    exact: true,
  }),
})

/**
 * The validation schema of `FactInput`; `metadata` may be omitted. Optional fields are exact
 * (absent, not `undefined`) so a wrong value yields one issue instead of a union's two;
 * `validateFact` drops `undefined` optional fields first.
 */
export const FactInputSchema = Schema.Struct({
  aggregateType: RequiredString,
  aggregateId: RequiredString,
  eventType: RequiredString,
  payload: Schema.Uint8ArrayFromSelf,
  metadata: Schema.optionalWith(Schema.Record({ key: WellFormedString, value: WellFormedString }), {
    exact: true,
  }),
  traceInfo: Schema.optionalWith(TraceInfoSchema, { exact: true }),
})
