/** Protobuf wire types (the low three bits of a field tag). */
export const WireType = {
  varint: 0,
  fixed64: 1,
  lengthDelimited: 2,
  startGroup: 3,
  endGroup: 4,
  fixed32: 5,
} as const

export type WireType = (typeof WireType)[keyof typeof WireType]
