// effect's modules one by one (effect-modules.ts): its barrel loads every module, tens of MB.
import { Schema } from './effect/effect-modules.js'

// Strings end up as protobuf `string` fields, which must be valid UTF-8: a lone surrogate
// would be silently replaced by U+FFFD when encoded, so it is refused instead.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

const WellFormedString = Schema.String.check(
  Schema.makeFilter(
    (value: string) => !LONE_SURROGATE.test(value) || 'must be well-formed Unicode (no lone surrogates)',
  ),
)

const RequiredString = WellFormedString.check(
  Schema.makeFilter((value: string) => value.length > 0 || 'must be a non-empty string'),
)

const StringMap = Schema.Record(WellFormedString, WellFormedString)

export const TraceInfoSchema = Schema.Struct({
  traceId: WellFormedString,
  spanId: WellFormedString,
  parentOp: Schema.optionalKey(WellFormedString),
  isSampled: Schema.optionalKey(Schema.Boolean),
  metadata: Schema.optionalKey(StringMap),
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
  payload: Schema.Uint8Array,
  metadata: Schema.optionalKey(StringMap),
  traceInfo: Schema.optionalKey(TraceInfoSchema),
})
