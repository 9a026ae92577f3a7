const UUID_V7_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

const HEX = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, '0'))

// Random bytes are drawn in bulk: one getRandomValues call per 256 ids instead of two per id.
const randomPool = new Uint8Array(4096)
let poolOffset = randomPool.length

/** Reserves `count` fresh random bytes in the pool and returns where they start. */
function takeRandom(count: number): number {
  if (poolOffset + count > randomPool.length) {
    crypto.getRandomValues(randomPool)
    poolOffset = 0
  }
  const start = poolOffset
  poolOffset += count
  return start
}

let lastMillis = -1
// 12-bit counter in rand_a (RFC 9562 section 6.2, method 1) keeps ids minted within one
// millisecond strictly increasing, so ids of one process sort in emission order.
let counter = 0

/**
 * Mints a UUIDv7 (RFC 9562): 48-bit Unix milliseconds, a per-millisecond counter, random tail.
 * Ids from one process are strictly increasing even when the wall clock steps back.
 */
export function uuidV7(nowMillis: number = Date.now()): string {
  let millis = nowMillis
  if (millis > lastMillis) {
    lastMillis = millis
    // Start the counter in the lower half so a burst in one millisecond rarely overflows it.
    const start = takeRandom(2)
    counter = ((randomPool[start]! << 8) | randomPool[start + 1]!) & 0x7ff
  } else {
    counter += 1
    if (counter > 0xfff) {
      lastMillis += 1
      counter = 0
    }
    millis = lastMillis
  }
  const start = takeRandom(16)
  const bytes = randomPool.slice(start, start + 16)
  // 48-bit timestamp, big-endian; split because bit operators truncate to 32 bits.
  const high = Math.floor(millis / 0x1_0000_0000)
  const low = millis % 0x1_0000_0000
  bytes[0] = (high >>> 8) & 0xff
  bytes[1] = high & 0xff
  bytes[2] = (low >>> 24) & 0xff
  bytes[3] = (low >>> 16) & 0xff
  bytes[4] = (low >>> 8) & 0xff
  bytes[5] = low & 0xff
  bytes[6] = 0x70 | (counter >>> 8)
  bytes[7] = counter & 0xff
  bytes[8] = 0x80 | (bytes[8]! & 0x3f)
  let text = ''
  for (let index = 0; index < 16; index++) {
    if (index === 4 || index === 6 || index === 8 || index === 10) text += '-'
    text += HEX[bytes[index]!]
  }
  return text
}

/** True for a lowercase, hyphenated UUID of version 7 with the RFC 9562 variant. */
export function isUuidV7(value: string): boolean {
  return UUID_V7_PATTERN.test(value)
}

/** The Unix milliseconds encoded in a UUIDv7. */
export function uuidV7Millis(id: string): number {
  return Number.parseInt(id.slice(0, 8) + id.slice(9, 13), 16)
}
