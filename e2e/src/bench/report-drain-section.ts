import type { JavaFactRecordsResult } from './java-fact-records-limit.js'
import type { JavaProducerResult } from './java-producer-limit.js'
import type { BenchReport } from './report.js'
import { cpuRows, mib, ratio, table } from './report-format.js'

/** Section 1: the backlog drain against its limits, with where the CPU went. */
export function drainSection(report: BenchReport): string {
  const { drain, machine } = report
  const java = drain.javaProducerLimit
  const javaRow = (limit: JavaProducerResult) => [
    `Kafka write, Java: ProducerPerformance ${limit.kafkaVersion}`,
    limit.factsPerSecond,
    limit.seconds,
    `**${ratio(drain.owlpost.factsPerSecond, limit.factsPerSecond)}**`,
    `Apache Kafka's Java producer (kafka-tools' ProducerPerformance, --throughput -1): ${Object.entries(
      limit.producerProps,
    )
      .map(([name, value]) => `${name}=${value}`)
      .join(
        ', ',
      )}; ${limit.records} records of ${limit.recordBytes} random bytes (the envelope size), no key, no headers, to one topic of ${limit.partitions} partitions; its own rate (producer made to close() returned; ${limit.secondsFromSpawn} s with the JVM start)`,
  ]
  const javaFacts = drain.javaFactRecordsLimit
  const javaFactsRow = (limit: JavaFactRecordsResult) => [
    `Kafka write, Java: KafkaProducer ${limit.kafkaVersion} with owlpost's records`,
    limit.factsPerSecond,
    limit.seconds,
    `**${ratio(drain.owlpost.factsPerSecond, limit.factsPerSecond)}**`,
    `the same producer settings and JVM options as the row above (e2e/src/bench/FactRecordsProducer.java); owlpost's records, the bare kafkajs row's: ${limit.records} records to ${limit.topics.length} topics of ${limit.partitions} partitions, keys (aggregate ids), envelope values, event_id/event_type/LSN headers, prepared beforehand; its own rate (producer made to close() returned; ${limit.secondsFromSpawn} s with the JVM start, compiling the program and reading the records)`,
  ]
  return `## 1. Backlog drain

${drain.backlog.facts} facts, envelopes of ${report.settings.envelopeBytes} bytes, committed with \`emitMany\` of
${drain.backlog.perTransaction} facts per transaction on ${drain.backlog.writers} connections while owlpost was not
running (${drain.backlog.seconds} s, ${mib(drain.backlog.walBytes)} of WAL, ending at ${drain.backlog.endLsn}). Two
slots (owlpost's and pg_recvlogical's) existed before the first fact, so both drained the very same WAL. Run in this
order: pg_recvlogical, bare kafkajs, ${java ? `Java producer${javaFacts ? " (ProducerPerformance, then owlpost's records)" : ''}, ` : ''}owlpost. The last column is owlpost's facts/s
(from spawn) over the row's.

${table(
  ['reader', 'facts/s', 'seconds', 'owlpost / this', 'how'],
  [
    [
      '**owlpost**',
      `**${drain.owlpost.factsPerSecond}**`,
      drain.owlpost.secondsFromSpawn,
      '-',
      `spawn of the CLI until the drain topics' high watermarks (polled every 50 ms from the broker) had grown by ${drain.backlog.facts}; ${drain.owlpost.startupSeconds} s of it was start-up until /ready; then checked against /metrics owlpost_facts_delivered_total`,
    ],
    [
      'owlpost, from /ready',
      Math.round(drain.backlog.facts / drain.owlpost.secondsFromReady),
      drain.owlpost.secondsFromReady,
      '-',
      'the same, timed from the first 200 of /ready',
    ],
    [
      'WAL read limit: pg_recvlogical',
      drain.walReadLimit.factsPerSecond,
      drain.walReadLimit.seconds,
      ratio(drain.owlpost.factsPerSecond, drain.walReadLimit.factsPerSecond),
      'pgoutput proto_version 1, publication, messages=true, to /dev/null, --endpos the backlog end',
    ],
    [
      'Kafka write limit: bare kafkajs',
      drain.kafkaWriteLimit.factsPerSecond,
      drain.kafkaWriteLimit.seconds,
      `**${ratio(drain.owlpost.factsPerSecond, drain.kafkaWriteLimit.factsPerSecond)}**`,
      `idempotent, acks=-1, 1 request in flight, no compression; same topics, keys, values, headers; ${drain.kafkaWriteLimit.batches} sendBatch calls of ~${drain.kafkaWriteLimit.recordsPerBatch} records (the sink's 768 KiB batch rule), records prepared beforehand; the same kafkajs as owlpost's, with @factlib/kafka-sink's corrections (encoder garbage, record encoding, batch checksum, key hash, per-partition grouping, request timer)`,
    ],
    ...(java ? [javaRow(java)] : []),
    ...(javaFacts ? [javaFactsRow(javaFacts)] : []),
  ],
)}

The slot's confirmed_flush_lsn reached the backlog end ${drain.owlpost.secondsUntilSlotConfirmed} s after spawn
(owlpost confirms every STATUS_INTERVAL_MS = 1 s).

pg_recvlogical command: \`${drain.walReadLimit.command.replace(/postgres:\/\/[^ ]+/, '<dedicated database url>')}\`

Where the CPU went while owlpost drained (${drain.owlpost.secondsFromReady} s from /ready; machine busy
${(drain.owlpost.machineBusyShare * 100).toFixed(0)}% of ${machine.cores} cores):

${table(['process', 'CPU s', 'cores', 'CPU µs per fact'], cpuRows(drain.owlpost.cpuSeconds, drain.owlpost.secondsFromReady, drain.backlog.facts))}

pg_recvlogical run:
${table(['process', 'CPU s', 'cores', 'CPU µs per fact'], cpuRows(drain.walReadLimit.cpuSeconds, drain.walReadLimit.seconds, drain.backlog.facts))}

Bare kafkajs run:
${table(['process', 'CPU s', 'cores', 'CPU µs per fact'], cpuRows(drain.kafkaWriteLimit.cpuSeconds, drain.kafkaWriteLimit.seconds, drain.backlog.facts))}
${java ? javaDetails(java, drain.backlog.facts) : '\nJava producer limit: skipped (--no-java-producer).\n'}${javaFacts ? javaFactRecordsDetails(javaFacts, drain.backlog.facts) : ''}`
}

function javaDetails(java: JavaProducerResult, facts: number): string {
  const latency = java.latencyMs
  return javaRunDetails(
    'Java producer',
    `(send to acknowledgement per record, as ProducerPerformance counts it: avg ${latency.avg} ms,
p50 ${latency.p50} ms, p95 ${latency.p95} ms, p99 ${latency.p99} ms, p99.9 ${latency.p999} ms, max ${latency.max} ms;
${java.megabytesPerSecond} MB/s of values)`,
    java,
    facts,
  )
}

function javaFactRecordsDetails(java: JavaFactRecordsResult, facts: number): string {
  const latency = java.latencyMs
  return javaRunDetails(
    "Java producer with owlpost's records",
    `(send to acknowledgement per record, as the program counts it: avg ${latency.avg} ms,
p50 ${latency.p50} ms, p99 ${latency.p99} ms, max ${latency.max} ms)`,
    java,
    facts,
  )
}

/** A Java producer run's CPU table (wall time from the JVM's spawn) and its command line. */
function javaRunDetails(
  name: string,
  about: string,
  run: { cpuSeconds: Record<string, number>; secondsFromSpawn: number; command: string },
  facts: number,
): string {
  return `
${name} run ${about}:
${table(['process', 'CPU s', 'cores', 'CPU µs per fact'], cpuRows(run.cpuSeconds, run.secondsFromSpawn, facts))}

${name} command: \`${run.command.replace(/bootstrap\.servers=[^ ]+/, 'bootstrap.servers=<dedicated broker>')}\`
`
}
