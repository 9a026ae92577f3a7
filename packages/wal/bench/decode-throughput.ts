// Decode throughput of @factlib/wal's PgoutputDecoder side by side with the pgoutput parser of
// pg-logical-replication, on the same bytes in the same run. Prints messages/s, MB/s and ratios.
// Not a test: numbers depend on the machine. BENCH_ROUNDS (default 5) sets the number of rounds;
// each figure is the best round.
import { randomBytes } from 'node:crypto'
import { createRequire } from 'node:module'
import { PgoutputDecoder } from '../dist/index.js'
import { loadCapturedStream } from '../dist/test-support/captured-vectors.js'

const require = createRequire(import.meta.url)
const { PgoutputParser } = require('pg-logical-replication/dist/output-plugins/pgoutput/pgoutput-parser.js')

interface Workload {
  name: string
  messages: Buffer[]
  bytes: number
  /** Whether the baseline parser understands every message (it has no streaming support). */
  baselineCan: boolean
}

function workload(name: string, messages: Buffer[], baselineCan = true): Workload {
  return { name, messages, bytes: messages.reduce((sum, message) => sum + message.length, 0), baselineCan }
}

function captured(name: 'pgoutput-v1' | 'pgoutput-v2-streaming' | 'pgoutput-v1-messages-only'): Buffer[] {
  return loadCapturedStream(name).map((row: { data: Uint8Array }) => Buffer.from(row.data))
}

/** 1,000,000 transactional logical messages of 200 bytes each, as pg_logical_emit_message makes them. */
function generatedFacts(count: number, size: number): Buffer[] {
  const prefix = Buffer.from('factlib\0')
  const header = 1 + 1 + 8 + prefix.length + 4
  const contentLength = size - header
  const pool = Buffer.alloc(count * size)
  const content = randomBytes(contentLength * 16)
  const messages: Buffer[] = new Array(count)
  for (let index = 0; index < count; index++) {
    const at = index * size
    pool[at] = 0x4d // 'M'
    pool[at + 1] = 1 // transactional
    pool.writeBigUInt64BE(0x16b374d848n + BigInt(index) * 200n, at + 2)
    prefix.copy(pool, at + 10)
    pool.writeInt32BE(contentLength, at + 10 + prefix.length)
    content.copy(pool, at + header, (index % 16) * contentLength, ((index % 16) + 1) * contentLength)
    messages[index] = pool.subarray(at, at + size)
  }
  return messages
}

/** Decodes the whole workload until at least `minimumMs` passed; returns messages per second. */
function measure(decodeAll: () => void, count: number, minimumMs = 400): number {
  decodeAll() // warm-up
  let rounds = 0
  const started = performance.now()
  let elapsed = 0
  do {
    decodeAll()
    rounds++
    elapsed = performance.now() - started
  } while (elapsed < minimumMs)
  return (count * rounds) / (elapsed / 1000)
}

let sink = 0
function ours(messages: Buffer[]): () => void {
  return () => {
    const decoder = new PgoutputDecoder()
    for (const message of messages) sink += decoder.decode(message).tag.length
  }
}

function baseline(messages: Buffer[]): () => void {
  return () => {
    const parser = new PgoutputParser()
    for (const message of messages) sink += parser.parse(message).tag.length
  }
}

const rounds = Number(process.env.BENCH_ROUNDS ?? 5)
const workloads = [
  workload('captured v1, mixed (pgoutput-v1.tsv)', captured('pgoutput-v1')),
  workload(
    'captured v1, messages only (pgoutput-v1-messages-only.tsv)',
    captured('pgoutput-v1-messages-only'),
  ),
  workload(
    'captured v2 with streaming (pgoutput-v2-streaming.tsv)',
    captured('pgoutput-v2-streaming'),
    false,
  ),
  workload('generated: 1,000,000 fact messages of 200 bytes', generatedFacts(1_000_000, 200)),
]

const format = (value: number, digits = 0) =>
  value.toLocaleString('en', { maximumFractionDigits: digits, minimumFractionDigits: digits })
console.log(`node ${process.version}, best of ${rounds} rounds\n`)
for (const { name, messages, bytes, baselineCan } of workloads) {
  let best = 0
  let bestBaseline = 0
  for (let round = 0; round < rounds; round++) {
    best = Math.max(best, measure(ours(messages), messages.length))
    if (baselineCan) bestBaseline = Math.max(bestBaseline, measure(baseline(messages), messages.length))
  }
  const mbPerSecond = (rate: number) => (rate * bytes) / messages.length / 1e6
  console.log(`${name}: ${format(messages.length)} messages, ${format(bytes / 1e6, 1)} MB`)
  console.log(
    `  @factlib/wal            ${format(best).padStart(12)} msg/s  ${format(mbPerSecond(best), 1).padStart(9)} MB/s`,
  )
  if (baselineCan) {
    console.log(
      `  pg-logical-replication  ${format(bestBaseline).padStart(12)} msg/s  ${format(mbPerSecond(bestBaseline), 1).padStart(9)} MB/s`,
    )
    console.log(`  ratio                   ${format(best / bestBaseline, 2)}x`)
  } else {
    console.log('  pg-logical-replication  cannot decode streaming (v2) messages')
  }
  console.log()
}
if (sink === 0) console.log('(sink)')
