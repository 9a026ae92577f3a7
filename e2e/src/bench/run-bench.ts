// The bench itself (bench.ts loads it): one run on one machine; writes <repo>/bench/results/<name>.md and .json.
// Not a test: it prints numbers. See e2e/src/bench/README.md for what each figure means.
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseBenchOptions } from './bench-options.js'
import { createBenchWorld, owlpostEnvFor, postgresSettings, prefixes, publication } from './bench-world.js'
import { runClusterRows } from './cluster-rows.js'
import { runDrainPhase } from './drain-phase.js'
import { createWorkload } from './fact-workload.js'
import { runGuaranteePhase } from './guarantee-phase.js'
import { kafkaAckLatency, walDeliveryLatency } from './latency-baselines.js'
import { runLatencyPhase } from './latency-phase.js'
import { machineInfo, versions } from './machine.js'
import { runOutagePhase } from './outage-phase.js'
import { packageBenches, runPackageBench } from './package-benches.js'
import { runProfiledDrain } from './profiled-drain-phase.js'
import { type BenchReport, renderMarkdown, targetsOf } from './report.js'
import { startPacedWriters } from './writers.js'

// kafkajs 2.2.4 on Node 24 arms negative timeouts; the warning is noise here.
process.removeAllListeners('warning')
process.on('warning', (warning) => {
  if (warning.name !== 'TimeoutNegativeWarning') process.stderr.write(`${warning.name}: ${warning.message}\n`)
})

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..')
const options = parseBenchOptions(process.argv.slice(2), join(repoRoot, 'bench', 'results'))
const began = performance.now()
const log = (line: string) =>
  process.stdout.write(`[bench ${((performance.now() - began) / 1000).toFixed(0).padStart(4)} s] ${line}\n`)

const workload = createWorkload(options.factBytes)
log('starting a dedicated PostgreSQL and Kafka')
const world = await createBenchWorld(options.partitions)
try {
  const machine = machineInfo()
  const versionInfo = await versions(world.sql, world.kafkaPid, repoRoot)
  const drain = await runDrainPhase(world, workload, options, log)
  const latency = await runLatencyPhase(world, workload, drain.owlpost, drain.owlpostPid, options, log)
  await drain.owlpost.stop()
  const baselineSeconds = Math.min(options.seconds, 20)
  log(
    `latency baselines: PostgreSQL alone, then Kafka alone, ${options.rate} facts/s for ${baselineSeconds} s each`,
  )
  const baselines = {
    seconds: baselineSeconds,
    walDelivery: await walDeliveryLatency(world, world.producers.probe, workload, {
      rate: options.rate,
      seconds: baselineSeconds,
      writerConnections: options.writerConnections,
      publication,
    }),
    kafkaAck: await (async () => {
      log('latency baseline: Kafka alone (writers still committing, nothing relays them)')
      // The same writers keep PostgreSQL as busy as in section 2, so the machine load is alike.
      const writers = startPacedWriters(world.sql, world.producers.probe, workload, {
        ratePerSecond: options.rate,
        concurrency: options.writerConnections,
        firstFact: 0,
      })
      try {
        return await kafkaAckLatency(world, prefixes.bare, workload, {
          rate: options.rate,
          seconds: baselineSeconds,
        })
      } finally {
        await writers.stop()
      }
    })(),
  }
  log(
    `baselines: WAL delivery p99 ${baselines.walDelivery.p99} ms, Kafka ack p99 ${baselines.kafkaAck.p99} ms`,
  )
  const owlpostEnv = owlpostEnvFor(world, options)
  const outage = await runOutagePhase(world, workload, owlpostEnv, options, log)
  const profiled =
    options.profileFacts > 0
      ? await runProfiledDrain(
          world,
          workload,
          owlpostEnv,
          {
            facts: options.profileFacts,
            perTransaction: options.perTransaction,
            writers: options.backlogWriters,
          },
          log,
        )
      : undefined
  const guarantees = options.guarantees ? await runGuaranteePhase(world, workload, options, log) : undefined
  const packages = []
  if (options.packages) {
    for (const pkg of packageBenches) {
      log(`package bench ${pkg}`)
      const result = await runPackageBench({
        pkg,
        cwd: repoRoot,
        env: {
          FACTLIB_TEST_KAFKA_BROKERS: world.kafka.brokers.join(','),
          FACTLIB_TEST_DATABASE_URL: world.pg.url,
        },
        timeoutMs: 300_000,
      })
      log(`package bench ${pkg}: ${result.status} in ${result.seconds.toFixed(0)} s`)
      packages.push(result)
    }
  }
  // The cluster rows get the machine to themselves: the single-broker world goes first.
  let cluster: BenchReport['cluster']
  if (options.cluster) {
    await world.close()
    cluster = await runClusterRows(workload, options, log)
    log(
      `cluster: drain ${cluster.drain.owlpost.factsPerSecond} facts/s, steady p50 ${cluster.latency.latencyMs.p50} ms ` +
        `p99 ${cluster.latency.latencyMs.p99} ms (one broker: ${drain.result.owlpost.factsPerSecond} facts/s, ` +
        `p50 ${latency.latencyMs.p50} ms p99 ${latency.latencyMs.p99} ms)`,
    )
  }
  const report: BenchReport = {
    generatedAt: new Date().toISOString(),
    command: `pnpm bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
    totalSeconds: Math.round((performance.now() - began) / 1000),
    machine: {
      ...machine,
      loadAverageAtEnd: (await import('node:os')).loadavg().map((l) => Number(l.toFixed(2))),
    },
    versions: versionInfo,
    settings: {
      facts: options.facts,
      envelopeBytes: workload.envelopeBytes,
      factsPerBacklogTransaction: options.perTransaction,
      backlogWriterConnections: options.backlogWriters,
      steadyRate: options.rate,
      steadyWriterConnections: options.writerConnections,
      steadySeconds: options.seconds,
      steadyWarmupSeconds: options.warmupSeconds,
      outageSeconds: options.outageSeconds,
      partitionsPerTopic: options.partitions,
      owlpostNodeOptions: options.owlpostNodeOptions || '(none)',
      owlpostEnv: options.owlpostEnv,
      topics:
        'two per prefix (<prefix>.order, <prefix>.payment), 1,000 aggregate ids each, message.timestamp.type=LogAppendTime',
      postgres: { fsync: 'off', full_page_writes: 'off', wal_level: 'logical', ...postgresSettings },
      kafka: 'single KRaft broker, @factlib/testing defaults (-Xmx1g), replication factor 1',
      owlpost:
        'defaults (MAX_IN_FLIGHT_FACTS 5000, MAX_IN_FLIGHT_BYTES 16 MiB, no compression, LOG_LEVEL info) + STATUS_INTERVAL_MS 1000, LAG_POLL_INTERVAL_MS 1000 (e2e support/owlpost-process.ts)',
    },
    drain: drain.result,
    latency,
    baselines,
    outage,
    profiled,
    guarantees,
    packages,
    ...(cluster ? { cluster } : {}),
  }
  report.targets = targetsOf(report)
  mkdirSync(options.outDir, { recursive: true })
  const base = join(options.outDir, options.name)
  writeFileSync(`${base}.json`, `${JSON.stringify(report, null, 2)}\n`)
  writeFileSync(`${base}.md`, renderMarkdown(report))
  log(`report: ${base}.md, ${base}.json`)
  for (const target of report.targets) {
    log(`${target.met ? 'MET   ' : 'MISSED'} ${target.name}: ${target.value} (target ${target.target})`)
  }
} finally {
  await world.close()
}
