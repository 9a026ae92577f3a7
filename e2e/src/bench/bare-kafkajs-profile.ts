// Where a bare kafkajs producer spends its time on pre-built records, owlpost left out: the
// evidence for whether kafkajs itself caps the drain (issue: drain at the speed of the best
// Kafka client). Run after `pnpm build`:
//   node --cpu-prof --cpu-prof-dir /tmp/bare-prof e2e/dist/bench/bare-kafkajs-profile.js [facts]
// It starts a dedicated broker, creates the bench's topics (6 partitions), sends the records the
// drain's bare-kafkajs limit sends, and prints the rate and the CPU used. The self-time breakdown
// of the sending window comes from the profile written at exit:
//   node e2e/dist/bench/bare-kafkajs-profile.js --summarize /tmp/bare-prof <from> <to>
// with the window this run printed.
await import('@factlib/kafka-sink') // kafkajs first loaded with the sink's corrections, as in owlpost
const { startKafka } = await import('@factlib/testing')
const { default: kafkajs } = await import('kafkajs')
const { createWorkload, aggregateTypes } = await import('./fact-workload.js')
const { sendWithBareKafkajs } = await import('./kafka-write-limit.js')

if (process.argv[2] === '--summarize') {
  const { summarizeCpuProfile } = await import('./cpu-profile.js')
  const [dir, from, to] = process.argv.slice(3)
  const summary = summarizeCpuProfile(dir!, { fromMicros: Number(from), toMicros: Number(to) })
  if (!summary) throw new Error(`no .cpuprofile in ${dir}`)
  console.log(`sampled ${summary.sampledMs} ms`)
  for (const { area, share } of summary.byArea) console.log(`${(share * 100).toFixed(1)}%  ${area}`)
  console.log('top functions:')
  for (const { name, share } of summary.topFunctions) console.log(`${(share * 100).toFixed(1)}%  ${name}`)
  process.exit(0)
}

const facts = Number(process.argv[2] ?? 200_000)
const prefix = 'bareprof'
const kafka = await startKafka({ dedicated: true })
try {
  const admin = new kafkajs.Kafka({ brokers: kafka.brokers, logLevel: kafkajs.logLevel.NOTHING }).admin()
  await admin.connect()
  await admin.createTopics({
    topics: aggregateTypes.map((type) => ({ topic: `${prefix}.${type}`, numPartitions: 6 })),
    waitForLeaders: true,
  })
  await admin.disconnect()
  const result = await sendWithBareKafkajs({
    brokers: kafka.brokers,
    prefix,
    workload: createWorkload(200),
    count: facts,
  })
  console.log(
    `bare kafkajs: ${facts} records in ${result.seconds.toFixed(2)} s = ${Math.round(facts / result.seconds)} records/s; ` +
      `${result.producerCpuSeconds} CPU s while sending (${((result.producerCpuSeconds * 1e6) / facts).toFixed(1)} µs per record); ` +
      `${result.batches} sendBatch calls of ~${result.recordsPerBatch}`,
  )
  console.log(`sending window (monotonic µs): ${result.window.fromMicros} ${result.window.toMicros}`)
} finally {
  await kafka.dispose()
}
