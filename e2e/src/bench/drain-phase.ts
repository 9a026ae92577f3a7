import { createKafkaSink } from '@factlib/kafka-sink'
import { formatLsn, parseLsn } from '@factlib/wal'
import { type OwlpostProcess, owlpostCli, startOwlpost } from '../support/owlpost-process.js'
import type { BenchOptions } from './bench-options.js'
import {
  type BenchWorld,
  javaProducerTopic,
  owlpostEnvFor,
  owlpostSlot,
  prefixes,
  publication,
} from './bench-world.js'
import type { Workload } from './fact-workload.js'
import { type JavaFactRecordsResult, sendFactRecordsWithJava } from './java-fact-records-limit.js'
import {
  type JavaProducerResult,
  javaProducerClasspath,
  sendWithJavaProducer,
} from './java-producer-limit.js'
import { watchTopicOffsets } from './kafka-progress.js'
import { sendWithBareKafkajs } from './kafka-write-limit.js'
import { largestBreakdown, type MemoryBreakdown } from './memory-breakdown.js'
import { waitUntilDelivered } from './owlpost-progress.js'
import { childPids, cpuSecondsOf, measureCpu, memoryOf, sampleRss } from './process-probe.js'
import { drainWithPgRecvlogical } from './wal-read-limit.js'
import { commitBacklog } from './writers.js'

const recvlogicalSlot = 'bench_recvlogical'

export interface DrainResult {
  backlog: {
    facts: number
    perTransaction: number
    writers: number
    seconds: number
    walBytes: number
    endLsn: string
  }
  walReadLimit: {
    factsPerSecond: number
    seconds: number
    command: string
    cpuSeconds: Record<string, number>
  }
  kafkaWriteLimit: {
    factsPerSecond: number
    seconds: number
    batches: number
    recordsPerBatch: number
    cpuSeconds: Record<string, number>
  }
  /** Apache Kafka's Java producer (ProducerPerformance); undefined with --no-java-producer. */
  javaProducerLimit: JavaProducerResult | undefined
  /**
   * The same Java producer, settings and JVM sending owlpost's very records (the bare kafkajs
   * limit's, under their own prefix); undefined with --no-java-producer.
   */
  javaFactRecordsLimit: JavaFactRecordsResult | undefined
  owlpost: {
    factsPerSecond: number
    secondsFromSpawn: number
    secondsFromReady: number
    startupSeconds: number
    secondsUntilSlotConfirmed: number
    peakRssBytes: number
    sampledPeakRssBytes: number
    rssAtReadyBytes: number
    /** owlpost's own process metrics at the largest RSS they reported during the drain. */
    memoryAtPeak: MemoryBreakdown | undefined
    cpuSeconds: Record<string, number>
    machineBusyShare: number
    env: Record<string, string>
  }
  /** owlpost facts/s over the lower of the two limits (WAL read, bare kafkajs); the Java producer is not one of them. */
  ratioToLowerLimit: number
  lowerLimit: 'wal-read' | 'kafka-write'
  /** owlpost facts/s over the bare kafkajs producer's. */
  ratioToKafkaWriteLimit: number
  /** owlpost facts/s over the Java producer's; undefined with --no-java-producer. */
  ratioToJavaProducer: number | undefined
  /**
   * owlpost facts/s from /ready over the Java producer's, neither counting start-up (the Java rate
   * leaves out the JVM start); undefined with --no-java-producer.
   */
  ratioFromReadyToJavaProducer: number | undefined
  /**
   * owlpost facts/s from /ready over the Java producer's with owlpost's records, neither counting
   * start-up; undefined with --no-java-producer.
   */
  ratioFromReadyToJavaFactRecords: number | undefined
}

/**
 * Backlog drain. Both slots exist before the backlog is written, so pg_recvlogical and owlpost
 * drain the very same WAL. Order: pg_recvlogical, then the bare kafkajs producer, then the Java
 * producer as ProducerPerformance and with owlpost's records (unless skipped), then owlpost; the
 * latter stays running for the steady-latency phase.
 */
export async function runDrainPhase(
  world: BenchWorld,
  workload: Workload,
  options: BenchOptions,
  log: (line: string) => void,
): Promise<{ result: DrainResult; owlpost: OwlpostProcess; owlpostPid: number }> {
  const { sql } = world
  // Resolved (once, into the cache) before the backlog is written, so a missing mvn fails early.
  const javaClasspath = options.javaProducer ? javaProducerClasspath() : undefined
  for (const slot of [owlpostSlot, recvlogicalSlot]) {
    await sql`select pg_create_logical_replication_slot(${slot}, 'pgoutput')`
  }
  const startLsn = await world.lsnNow()
  log(
    `committing ${options.facts} facts of ${workload.envelopeBytes} bytes, ${options.perTransaction} per transaction`,
  )
  const backlog = await commitBacklog(sql, world.producers.drain, workload, {
    count: options.facts,
    perTransaction: options.perTransaction,
    concurrency: options.backlogWriters,
  })
  const endLsn = await world.lsnNow()
  // A record past the end, so pg_recvlogical sees --endpos passed without waiting for a keepalive.
  await sql`select pg_logical_emit_message(true, 'bench-end-marker', 'end')`
  log(`backlog committed in ${backlog.seconds.toFixed(1)} s, ${formatLsn(startLsn)}..${formatLsn(endLsn)}`)

  // The walsender serving pg_recvlogical ends with it: sample its CPU while it lives.
  let recvWalsenderPid: number | undefined
  let walsenderCpu = 0
  let reading = true
  const sampling = (async () => {
    while (reading) {
      recvWalsenderPid ??= (
        await sql<
          { pid: number }[]
        >`select pid from pg_stat_replication where application_name = 'pg_recvlogical'`
      )[0]?.pid
      if (recvWalsenderPid) walsenderCpu = Math.max(walsenderCpu, cpuSecondsOf(recvWalsenderPid))
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
  })()
  const walRead = await drainWithPgRecvlogical({
    url: world.url,
    slot: recvlogicalSlot,
    publication,
    endLsn: formatLsn(endLsn),
  })
  reading = false
  await sampling
  const walReadCpu = { 'walsender (sampled every 20 ms while it lived)': walsenderCpu }
  if (walRead.exitCode !== 0)
    throw new Error(`pg_recvlogical failed (${walRead.exitCode}): ${walRead.stderr}`)
  await sql`select pg_drop_replication_slot(${recvlogicalSlot})`
  log(`pg_recvlogical: ${walRead.seconds.toFixed(2)} s`)

  // The sink corrects kafkajs when its first client is made (a timer that fires every millisecond,
  // garbage in the record encoder); the bare producer below shares that kafkajs and its fixes.
  const warm = createKafkaSink({ brokers: world.kafka.brokers, createTopics: false })
  await warm.connect()
  await warm.close()
  const kafkaCpu = measureCpu({ kafka: world.kafkaPid })
  const kafkaWrite = await sendWithBareKafkajs({
    brokers: world.kafka.brokers,
    prefix: prefixes.bare,
    workload,
    count: options.facts,
  })
  const kafkaWriteCpu = {
    ...kafkaCpu().perProcess,
    'bench process (bare kafkajs producer)': kafkaWrite.producerCpuSeconds,
  }
  log(`bare kafkajs: ${kafkaWrite.seconds.toFixed(2)} s in ${kafkaWrite.batches} batches`)

  let javaProducer: JavaProducerResult | undefined
  let javaFactRecords: JavaFactRecordsResult | undefined
  if (javaClasspath) {
    javaProducer = await sendWithJavaProducer({
      classpath: javaClasspath,
      brokers: world.kafka.brokers,
      topic: javaProducerTopic,
      partitions: options.partitions,
      records: options.facts,
      recordBytes: workload.envelopeBytes,
      kafkaPid: world.kafkaPid,
    })
    log(
      `Java producer: ${javaProducer.seconds.toFixed(2)} s (${javaProducer.secondsFromSpawn.toFixed(2)} s with the JVM start), ${javaProducer.factsPerSecond} records/s`,
    )
    // The broker's high watermarks confirm the program's count (close() returned: all acknowledged).
    const offsets = await watchTopicOffsets(world.kafka.brokers, world.topics(prefixes.javaFacts))
    javaFactRecords = await sendFactRecordsWithJava({
      classpath: javaClasspath,
      brokers: world.kafka.brokers,
      prefix: prefixes.javaFacts,
      workload,
      count: options.facts,
      partitions: options.partitions,
      kafkaPid: world.kafkaPid,
    })
    const appended = await offsets.appended().finally(() => offsets.close())
    if (appended !== options.facts)
      throw new Error(
        `the Java producer's ${options.facts} records made ${appended} in ${prefixes.javaFacts}.*`,
      )
    log(
      `Java producer with owlpost's records: ${javaFactRecords.seconds.toFixed(2)} s (${javaFactRecords.secondsFromSpawn.toFixed(2)} s with the JVM start), ${javaFactRecords.factsPerSecond} records/s, ${appended} records in its topics`,
    )
  }

  const env: Record<string, string> = owlpostEnvFor(world, options)
  const offsets = await watchTopicOffsets(world.kafka.brokers, world.topics(prefixes.drain))
  const spawned = performance.now()
  const owlpost = await startOwlpost(env)
  const owlpostPid = childPids(process.pid, owlpostCli)[0]
  if (!owlpostPid) throw new Error('cannot find the owlpost child process')
  const rss = sampleRss(owlpostPid)
  await owlpost.ready(120_000)
  const ready = performance.now()
  const idleRss = memoryOf(owlpostPid)?.rss ?? 0
  const breakdown = largestBreakdown()
  const walsenderPid = await world.slotPid(owlpostSlot)
  const cpu = measureCpu({ owlpost: owlpostPid, walsender: walsenderPid, kafka: world.kafkaPid })
  const memoryScrapes = setInterval(
    () => void owlpost.metrics().then(breakdown.offer, () => undefined),
    1_000,
  )
  const acknowledgedAt = await offsets.until(options.facts, 600_000).finally(() => {
    clearInterval(memoryScrapes)
    return offsets.close()
  })
  // Cross-check with owlpost's own count: every fact delivered, none dead-lettered.
  await waitUntilDelivered(owlpost, prefixes.drain, options.facts, { timeoutMs: 60_000 })
  const delivered = { at: acknowledgedAt }
  const owlpostCpu = cpu()
  const sampledPeak = rss.stop()
  const peak = memoryOf(owlpostPid)?.peak ?? 0
  let confirmedAt = Number.NaN
  for (const deadline = performance.now() + 30_000; performance.now() < deadline; ) {
    const [row] = await sql<{ confirmed: string | null }[]>`
      select confirmed_flush_lsn::text as confirmed from pg_replication_slots where slot_name = ${owlpostSlot}`
    if (row?.confirmed && parseLsn(row.confirmed) >= endLsn) {
      confirmedAt = performance.now()
      break
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  const secondsFromSpawn = (delivered.at - spawned) / 1000
  const secondsFromReady = (delivered.at - ready) / 1000
  log(`owlpost: ${secondsFromSpawn.toFixed(2)} s from spawn, ${secondsFromReady.toFixed(2)} s from ready`)

  const walReadRate = options.facts / walRead.seconds
  const kafkaWriteRate = options.facts / kafkaWrite.seconds
  const owlpostRate = options.facts / secondsFromSpawn
  const lowerLimit = walReadRate <= kafkaWriteRate ? 'wal-read' : 'kafka-write'
  return {
    owlpost,
    owlpostPid,
    result: {
      backlog: {
        facts: options.facts,
        perTransaction: options.perTransaction,
        writers: options.backlogWriters,
        seconds: round(backlog.seconds),
        walBytes: Number(endLsn - startLsn),
        endLsn: formatLsn(endLsn),
      },
      walReadLimit: {
        factsPerSecond: Math.round(walReadRate),
        seconds: round(walRead.seconds),
        command: walRead.command,
        cpuSeconds: walReadCpu,
      },
      kafkaWriteLimit: {
        factsPerSecond: Math.round(kafkaWriteRate),
        seconds: round(kafkaWrite.seconds),
        batches: kafkaWrite.batches,
        recordsPerBatch: kafkaWrite.recordsPerBatch,
        cpuSeconds: kafkaWriteCpu,
      },
      javaProducerLimit: javaProducer,
      javaFactRecordsLimit: javaFactRecords,
      owlpost: {
        factsPerSecond: Math.round(owlpostRate),
        secondsFromSpawn: round(secondsFromSpawn),
        secondsFromReady: round(secondsFromReady),
        startupSeconds: round((ready - spawned) / 1000),
        secondsUntilSlotConfirmed: round((confirmedAt - spawned) / 1000),
        peakRssBytes: peak,
        sampledPeakRssBytes: sampledPeak,
        rssAtReadyBytes: idleRss,
        memoryAtPeak: breakdown.value,
        cpuSeconds: owlpostCpu.perProcess,
        machineBusyShare: owlpostCpu.machineBusyShare,
        env: { ...env, MASTER_DATABASE_URL: '(dedicated server)', KAFKA_BROKERS: '(dedicated broker)' },
      },
      ratioToLowerLimit: round(owlpostRate / Math.min(walReadRate, kafkaWriteRate), 3),
      lowerLimit,
      ratioToKafkaWriteLimit: round(owlpostRate / kafkaWriteRate, 3),
      ratioToJavaProducer: javaProducer ? round(owlpostRate / javaProducer.factsPerSecond, 3) : undefined,
      ratioFromReadyToJavaProducer: javaProducer
        ? round(options.facts / secondsFromReady / javaProducer.factsPerSecond, 3)
        : undefined,
      ratioFromReadyToJavaFactRecords: javaFactRecords
        ? round(options.facts / secondsFromReady / javaFactRecords.factsPerSecond, 3)
        : undefined,
    },
  }
}

function round(value: number, digits = 2): number {
  return Number(value.toFixed(digits))
}
