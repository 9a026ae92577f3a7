/** CRC-32C (Castagnoli), the checksum of Kafka record batches; reflected polynomial. */
const polynomial = 0x82f63b78

/**
 * Eight lookup tables: table k maps a byte to its CRC contribution k bytes further on, so the
 * loop below folds eight bytes per step ("slicing-by-8") where kafkajs folds one.
 */
const tables = (() => {
  const table = new Int32Array(8 * 256)
  for (let byte = 0; byte < 256; byte++) {
    let crc = byte
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ polynomial : crc >>> 1
    table[byte] = crc
  }
  for (let byte = 0; byte < 256; byte++) {
    for (let slice = 1; slice < 8; slice++) {
      const previous = table[(slice - 1) * 256 + byte]!
      table[slice * 256 + byte] = table[previous & 0xff]! ^ (previous >>> 8)
    }
  }
  return table
})()

/** The CRC-32C of `bytes` as an unsigned 32-bit integer. */
export function crc32c(bytes: Uint8Array): number {
  const t = tables
  let crc = -1
  let i = 0
  const whole = bytes.length - (bytes.length & 7)
  for (; i < whole; i += 8) {
    const low = crc ^ (bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24))
    crc =
      t[7 * 256 + (low & 0xff)]! ^
      t[6 * 256 + ((low >>> 8) & 0xff)]! ^
      t[5 * 256 + ((low >>> 16) & 0xff)]! ^
      t[4 * 256 + (low >>> 24)]! ^
      t[3 * 256 + bytes[i + 4]!]! ^
      t[2 * 256 + bytes[i + 5]!]! ^
      t[256 + bytes[i + 6]!]! ^
      t[bytes[i + 7]!]!
  }
  for (; i < bytes.length; i++) crc = t[(crc ^ bytes[i]!) & 0xff]! ^ (crc >>> 8)
  return (crc ^ -1) >>> 0
}
