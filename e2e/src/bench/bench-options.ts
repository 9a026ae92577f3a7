import { parseArgs } from 'node:util'

export interface BenchOptions {
  facts: number
  factBytes: number
  perTransaction: number
  backlogWriters: number
  rate: number
  writerConnections: number
  seconds: number
  warmupSeconds: number
  outageSeconds: number
  partitions: number
  profileFacts: number
  owlpostNodeOptions: string
  /** Extra environment for every owlpost process (--owlpost-env NAME=VALUE, repeatable). */
  owlpostEnv: Record<string, string>
  packages: boolean
  /** At-least-once beside exactly-once (drain, read_committed latency, RSS). */
  guarantees: boolean
  /** Apache Kafka's Java producer (ProducerPerformance) as a third limit in the drain. */
  javaProducer: boolean
  /** Also run the drain and steady-latency phases against a three-broker cluster. */
  cluster: boolean
  outDir: string
  name: string
}

const usage = `pnpm bench [-- options]   (or: node dist/bench/bench.js [options])
  --facts N            backlog size for the drain and the two limits (default 200000)
  --fact-bytes N       encoded envelope size of every fact (default 200)
  --per-transaction N  facts per backlog transaction, one emitMany each (default 100)
  --rate N             steady writers, facts/s, one fact per transaction (default 2000)
  --writer-connections N  connections the paced writers spread over (default 32)
  --seconds N          steady latency window (default 60)
  --warmup-seconds N   paced writers before that window, reported apart (default 5, 0 = none)
  --outage-seconds N   Kafka outage with writers running (default 60)
  --partitions N       partitions of every topic (default 6)
  --profile-facts N    backlog drained again under node --cpu-prof for the time breakdown (default 100000, 0 = skip)
  --owlpost-node-options S  NODE_OPTIONS for every owlpost process (e.g. --max-old-space-size=64), default none
  --owlpost-env NAME=VALUE  extra environment for every owlpost process (e.g. KAFKA_LINGER_MS=5), repeatable
  --no-packages        skip the package micro-benchmarks
  --no-guarantees      skip at-least-once beside exactly-once (section 5)
  --no-java-producer   skip the Java producer limit of the drain (needs java and mvn; kafka-tools jars)
  --cluster            then the drain and steady latency again on three brokers (replication 3, acks=all)
  --out DIR            where the reports go (default <repo>/bench/results)
  --name NAME          report file name without extension (default latest)`

export function parseBenchOptions(argv: string[], defaultOutDir: string): BenchOptions {
  const { values } = parseArgs({
    // `pnpm bench -- --facts 1000` hands the separator through; it means nothing here.
    args: argv.filter((arg) => arg !== '--'),
    options: {
      facts: { type: 'string', default: '200000' },
      'fact-bytes': { type: 'string', default: '200' },
      'per-transaction': { type: 'string', default: '100' },
      'backlog-writers': { type: 'string', default: '4' },
      rate: { type: 'string', default: '2000' },
      'writer-connections': { type: 'string', default: '32' },
      seconds: { type: 'string', default: '60' },
      'warmup-seconds': { type: 'string', default: '5' },
      'outage-seconds': { type: 'string', default: '60' },
      partitions: { type: 'string', default: '6' },
      'profile-facts': { type: 'string', default: '100000' },
      'owlpost-node-options': { type: 'string', default: '' },
      'owlpost-env': { type: 'string', multiple: true, default: [] },
      'no-packages': { type: 'boolean', default: false },
      'no-guarantees': { type: 'boolean', default: false },
      'no-java-producer': { type: 'boolean', default: false },
      cluster: { type: 'boolean', default: false },
      out: { type: 'string', default: defaultOutDir },
      name: { type: 'string', default: 'latest' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  })
  if (values.help) {
    process.stdout.write(`${usage}\n`)
    process.exit(0)
  }
  const positive = (name: string, text: string) => {
    const value = Number(text)
    if (!Number.isInteger(value) || value <= 0)
      throw new Error(`--${name} must be a positive integer, got ${text}`)
    return value
  }
  return {
    facts: positive('facts', values.facts),
    factBytes: positive('fact-bytes', values['fact-bytes']),
    perTransaction: positive('per-transaction', values['per-transaction']),
    backlogWriters: positive('backlog-writers', values['backlog-writers']),
    rate: positive('rate', values.rate),
    writerConnections: positive('writer-connections', values['writer-connections']),
    seconds: positive('seconds', values.seconds),
    warmupSeconds:
      values['warmup-seconds'] === '0' ? 0 : positive('warmup-seconds', values['warmup-seconds']),
    outageSeconds: positive('outage-seconds', values['outage-seconds']),
    partitions: positive('partitions', values.partitions),
    profileFacts: values['profile-facts'] === '0' ? 0 : positive('profile-facts', values['profile-facts']),
    owlpostNodeOptions: values['owlpost-node-options'],
    owlpostEnv: Object.fromEntries(
      values['owlpost-env'].map((pair) => {
        const match = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(pair)
        if (!match) throw new Error(`--owlpost-env takes NAME=VALUE, got ${pair}`)
        return [match[1]!, match[2]!]
      }),
    ),
    packages: !values['no-packages'],
    guarantees: !values['no-guarantees'],
    javaProducer: !values['no-java-producer'],
    cluster: values.cluster,
    outDir: values.out,
    name: values.name,
  }
}
