import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { kafkaVersion } from '@factlib/testing'
import type { Workload } from './fact-workload.js'
import { javaProducerProps, runJavaProducer } from './java-producer-limit.js'
import { type FactRecord, factRecords } from './kafka-write-limit.js'

/** tsc leaves the .java beside the sources: from dist/bench/ back to src/bench/. */
const sourceDir = fileURLToPath(new URL('../../src/bench/', import.meta.url))
const program = join(sourceDir, 'FactRecordsProducer.java')

export interface JavaFactRecordsResult {
  /** The program's own records/sec: from the producer being made to close() returning. */
  factsPerSecond: number
  /** records / that rate: the seconds the program measured. */
  seconds: number
  /** From spawning the JVM to its exit (JVM start, compiling the program and reading the records included). */
  secondsFromSpawn: number
  records: number
  topics: string[]
  partitions: number
  /** Send to acknowledgement per record, as the program measures it (ms). */
  latencyMs: { avg: number; p50: number; p99: number; max: number }
  kafkaVersion: string
  producerProps: Record<string, string>
  command: string
  /** The program's final line, as printed. */
  summary: string
  cpuSeconds: Record<string, number>
}

// "%d records sent, %.1f records/sec, %.2f ms avg latency, %.2f ms 50th, %.2f ms 99th, %.2f ms max latency."
const summaryLine =
  /^(\d+) records sent, ([\d.]+) records\/sec, ([\d.]+) ms avg latency, ([\d.]+) ms 50th, ([\d.]+) ms 99th, ([\d.]+) ms max latency\.$/m

/**
 * Apache Kafka's Java producer with {@link javaProducerProps} and ProducerPerformance's JVM
 * options, sending owlpost's very records ({@link factRecords} under `prefix`: the bare kafkajs
 * limit's, but for the prefix) from FactRecordsProducer.java, all built before its clock starts.
 * Beside ProducerPerformance's row it tells how much of owlpost's gap to it is the client and how
 * much the record shape (two topics, keys, headers).
 */
export async function sendFactRecordsWithJava(options: {
  classpath: string
  brokers: string[]
  prefix: string
  workload: Workload
  count: number
  partitions: number
  /** The broker's JVM, whose CPU is measured while the producer runs. */
  kafkaPid: number | undefined
}): Promise<JavaFactRecordsResult> {
  const records = factRecords(options.prefix, options.workload, options.count)
  const dir = mkdtempSync(join(tmpdir(), 'bench-java-facts-'))
  const file = join(dir, 'records.bin')
  try {
    writeFileSync(file, encodeFactRecords(records))
    const run = await runJavaProducer({
      classpath: options.classpath,
      brokers: options.brokers,
      records: options.count,
      kafkaPid: options.kafkaPid,
      clientId: 'bench-java-facts',
      name: 'FactRecordsProducer',
      besides: 'JVM start, compiling the program and reading the records',
      main: [program, file],
      summary: summaryLine,
    })
    const [summary, , rate, avg, p50, p99, max] = run.match
    const recordsPerSecond = Number(rate)
    return {
      factsPerSecond: Math.round(recordsPerSecond),
      seconds: Number((options.count / recordsPerSecond).toFixed(2)),
      secondsFromSpawn: run.secondsFromSpawn,
      records: options.count,
      topics: [...new Set(records.map((record) => record.topic))],
      partitions: options.partitions,
      latencyMs: { avg: Number(avg), p50: Number(p50), p99: Number(p99), max: Number(max) },
      kafkaVersion,
      producerProps: javaProducerProps,
      command: run.command.replace(sourceDir, 'e2e/src/bench/').replace(file, '<records file>'),
      summary: summary!,
      cpuSeconds: run.cpuSeconds,
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** The records file in the layout FactRecordsProducer.java's header describes (big-endian int32s). */
function encodeFactRecords(records: readonly FactRecord[]): Buffer {
  const int32 = (value: number) => {
    const buffer = Buffer.allocUnsafe(4)
    buffer.writeInt32BE(value)
    return buffer
  }
  const parts: Buffer[] = [int32(records.length)]
  const field = (bytes: Buffer | string) => {
    const buffer = typeof bytes === 'string' ? Buffer.from(bytes) : bytes
    parts.push(int32(buffer.byteLength), buffer)
  }
  for (const record of records) {
    field(record.topic)
    field(record.key)
    field(record.value)
    const headers = Object.entries(record.headers)
    parts.push(int32(headers.length))
    for (const [name, value] of headers) {
      field(name)
      field(value)
    }
  }
  return Buffer.concat(parts)
}
