import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { kafkaToolsClasspath, kafkaToolsLog4jConfig, kafkaVersion } from '@factlib/testing'
import { sinkBatchBytes } from './kafka-write-limit.js'
import { measureCpu, reapedChildrenCpuSeconds } from './process-probe.js'

/**
 * The Java producer's settings: the sink's delivery guarantees (acks=all, idempotent, one request
 * in flight) and its 768 KiB batch, with a 5 ms linger so the Java client can fill batches.
 */
export const javaProducerProps: Record<string, string> = {
  acks: 'all',
  'enable.idempotence': 'true',
  'max.in.flight.requests.per.connection': '1',
  'linger.ms': '5',
  'batch.size': String(sinkBatchBytes),
}

/** JVM options of kafka-producer-perf-test.sh (kafka-run-class.sh with its default 512 MiB heap). */
const jvmOptions = [
  '-Xmx512m',
  '-XX:+UseG1GC',
  '-XX:MaxGCPauseMillis=20',
  '-XX:InitiatingHeapOccupancyPercent=35',
  '-XX:+ExplicitGCInvokesConcurrent',
  '-Djava.awt.headless=true',
  // ProducerPerformance prints with the default locale: keep the decimal point a point.
  '-Duser.language=en',
  '-Duser.country=US',
]

export interface JavaProducerResult {
  /** ProducerPerformance's own records/sec: from its Stats start (producer made) to close() returning. */
  factsPerSecond: number
  /** records / that rate: the seconds ProducerPerformance measured. */
  seconds: number
  /** From spawning the JVM to its exit (JVM start, metadata and producer id included). */
  secondsFromSpawn: number
  records: number
  recordBytes: number
  topic: string
  partitions: number
  megabytesPerSecond: number
  /** Send to acknowledgement per record, as ProducerPerformance reports it (ms). */
  latencyMs: { avg: number; max: number; p50: number; p95: number; p99: number; p999: number }
  kafkaVersion: string
  producerProps: Record<string, string>
  command: string
  /** ProducerPerformance's final line, as printed. */
  summary: string
  cpuSeconds: Record<string, number>
}

/** The tools' classpath, resolved once into the cache (mvn); fails with a hint to skip the limit. */
export function javaProducerClasspath(): string {
  try {
    return kafkaToolsClasspath()
  } catch (error) {
    throw new Error(
      `${error instanceof Error ? error.message : String(error)}\n(the Java producer limit needs them; --no-java-producer skips it)`,
    )
  }
}

// "%d records sent, %.1f records/sec (%.2f MB/sec), %.2f ms avg latency, %.2f ms max latency,
//  %d ms 50th, %d ms 95th, %d ms 99th, %d ms 99.9th." (ProducerPerformance.Stats.printTotal, 4.1)
const totalLine =
  /^(\d+) records sent, ([\d.]+) records\/sec \(([\d.]+) MB\/sec\), ([\d.]+) ms avg latency, ([\d.]+) ms max latency, (\d+) ms 50th, (\d+) ms 95th, (\d+) ms 99th, (\d+) ms 99\.9th\.$/m

/**
 * The Java producer limit: Apache Kafka's own producer, run as its ProducerPerformance tool from
 * the kafka-tools jar of the broker's version, sends `records` records of `recordBytes` (the
 * envelope size; random letters, no key, no headers) to one topic made like the fact topics,
 * unthrottled, with {@link javaProducerProps}. The rate is the tool's own final figure.
 */
export async function sendWithJavaProducer(options: {
  classpath: string
  brokers: string[]
  topic: string
  partitions: number
  records: number
  recordBytes: number
  /** The broker's JVM, whose CPU is measured while the producer runs. */
  kafkaPid: number | undefined
}): Promise<JavaProducerResult> {
  const run = await runJavaProducer({
    classpath: options.classpath,
    brokers: options.brokers,
    records: options.records,
    kafkaPid: options.kafkaPid,
    clientId: 'bench-java',
    name: 'ProducerPerformance',
    main: [
      'org.apache.kafka.tools.ProducerPerformance',
      '--topic',
      options.topic,
      '--num-records',
      String(options.records),
      '--record-size',
      String(options.recordBytes),
      '--throughput',
      '-1',
      '--producer-props',
    ],
    summary: totalLine,
  })
  const [summary, , rate, mb, avg, max, p50, p95, p99, p999] = run.match
  const recordsPerSecond = Number(rate)
  return {
    factsPerSecond: Math.round(recordsPerSecond),
    seconds: round(options.records / recordsPerSecond),
    secondsFromSpawn: run.secondsFromSpawn,
    records: options.records,
    recordBytes: options.recordBytes,
    topic: options.topic,
    partitions: options.partitions,
    megabytesPerSecond: Number(mb),
    latencyMs: {
      avg: Number(avg),
      max: Number(max),
      p50: Number(p50),
      p95: Number(p95),
      p99: Number(p99),
      p999: Number(p999),
    },
    kafkaVersion,
    producerProps: javaProducerProps,
    command: run.command,
    summary: summary!,
    cpuSeconds: run.cpuSeconds,
  }
}

export interface JavaProducerRun {
  /** The summary line matched, its first group the records sent (checked against `records`). */
  match: string[]
  /** From spawning the JVM to its exit. */
  secondsFromSpawn: number
  /** The broker's CPU while the JVM lived, and the JVM's own (start included). */
  cpuSeconds: Record<string, number>
  /** The command line, the jars' paths left out. */
  command: string
}

/**
 * Runs `main` (a class or a source file, then its arguments) on the kafka-tools classpath with
 * kafka-producer-perf-test.sh's JVM options and {@link javaProducerProps} as trailing name=value
 * arguments, so every Java producer of the bench runs alike. Fails with the output's tail unless
 * the JVM exits 0 having printed a `summary` line that counts all `records`.
 */
export async function runJavaProducer(options: {
  classpath: string
  brokers: string[]
  clientId: string
  /** Who runs, for the CPU table and errors. */
  name: string
  /** What the JVM's CPU holds besides sending (default: its start). */
  besides?: string
  main: string[]
  summary: RegExp
  records: number
  kafkaPid: number | undefined
}): Promise<JavaProducerRun> {
  const props = {
    'bootstrap.servers': options.brokers.join(','),
    'client.id': options.clientId,
    ...javaProducerProps,
  }
  const args = [
    ...jvmOptions,
    `-Dlog4j2.configurationFile=${kafkaToolsLog4jConfig}`,
    '-cp',
    options.classpath,
    ...options.main,
    ...Object.entries(props).map(([name, value]) => `${name}=${value}`),
  ]
  const brokerCpu = measureCpu({ kafka: options.kafkaPid })
  const childrenCpuBefore = reapedChildrenCpuSeconds()
  const spawned = performance.now()
  const child = spawn('java', args, { stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8')
  })
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8')
  })
  const [exitCode] = (await once(child, 'close')) as [number | null]
  const secondsFromSpawn = (performance.now() - spawned) / 1000
  // The JVM has been reaped by now, so its CPU is in this process's children's total.
  const javaCpu = reapedChildrenCpuSeconds() - childrenCpuBefore
  const cpu = brokerCpu().perProcess
  const match = options.summary.exec(stdout)
  if (exitCode !== 0 || !match) {
    throw new Error(
      `${options.name} failed (exit ${exitCode}):\n${stdout.trim().split('\n').slice(-5).join('\n')}\n${stderr.trim().split('\n').slice(-20).join('\n')}`,
    )
  }
  if (Number(match[1]) !== options.records)
    throw new Error(`${options.name} sent ${match[1]} of ${options.records} records:\n${match[0]}`)
  return {
    match: [...match],
    secondsFromSpawn: round(secondsFromSpawn),
    cpuSeconds: {
      ...cpu,
      [`java (${options.name}, ${options.besides ?? 'JVM start'} included)`]: round(javaCpu),
    },
    command: `java ${args.join(' ').replace(options.classpath, '<kafka-tools jars>')}`,
  }
}

function round(value: number, digits = 2): number {
  return Number(value.toFixed(digits))
}
