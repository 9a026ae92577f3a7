const seed = 0x9747b28c
const mix = 0x5bd1e995

/**
 * Kafka's murmur2 (the Java client's `Utils.murmur2`), in 32-bit integer arithmetic as Java does
 * it. kafkajs computes the same hash with 64-bit Long objects: a dozen allocations per key, which
 * made partitioning one of the relay's largest sources of garbage. kafkajs's DefaultPartitioner
 * uses this one (see patches.ts), so keys land on the partitions they always did.
 */
export function murmur2(data: Uint8Array): number {
  const length = data.length
  let h = seed ^ length
  const whole = length & ~3
  for (let i = 0; i < whole; i += 4) {
    let k = data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24)
    k = Math.imul(k, mix)
    k ^= k >>> 24
    k = Math.imul(k, mix)
    h = Math.imul(h, mix) ^ k
  }
  const tail = length & 3
  if (tail === 3) h ^= data[whole + 2]! << 16
  if (tail >= 2) h ^= data[whole + 1]! << 8
  if (tail >= 1) h = Math.imul(h ^ data[whole]!, mix)
  h ^= h >>> 13
  h = Math.imul(h, mix)
  h ^= h >>> 15
  return h | 0
}

/** kafkajs's hash of a message key: Buffers as they are, anything else as the text of it. */
export function murmur2OfKey(key: unknown): number {
  return murmur2(Buffer.isBuffer(key) ? key : Buffer.from(String(key)))
}
