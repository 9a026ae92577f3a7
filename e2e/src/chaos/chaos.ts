import { parseArgs } from 'node:util'
import { brokersOnlySchedule, clusterCiSchedule, clusterFullSchedule } from './cluster-schedules.js'
import { runChaos } from './run-chaos.js'
import {
  ciExactlyOnceSchedule,
  ciSchedule,
  exactlyOnceSchedule,
  fullSchedule,
  killsSchedule,
} from './schedules.js'
import { runSoak } from './soak.js'

// kafkajs on Node 24 warns about negative timeouts on every retry; the noise would bury the progress lines.
const emitWarning = process.emitWarning.bind(process)
process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
  const name = typeof warning === 'string' ? rest[0] : warning.name
  const type = typeof name === 'object' && name !== null ? (name as { type?: string }).type : name
  if (type === 'TimeoutNegativeWarning') return
  return (emitWarning as (...args: unknown[]) => void)(warning, ...rest)
}) as typeof process.emitWarning

const usage = `pnpm chaos [--facts N] [--rate FACTS_PER_S] [--schedule full|ci|kills|brokers] [--exactly-once] [--failover] [--cluster] [--poison] [--consumer]
       pnpm chaos --soak [--minutes M]

Emits N facts (default 200000) from 8 writers while SIGKILLing owlpost, stopping Kafka and
restarting PostgreSQL, then checks every committed fact arrived in order and every poison
message was dead-lettered. Ends with one line:
facts=N lost=0 reordered=0 duplicates=D deadlettered=P kills=K
Exit code 1 on any loss, reordering, rolled-back or uncommitted arrival, or missing poison.
--schedule kills injects only owlpost SIGKILLs, to measure duplicates per crash.
--exactly-once runs owlpost with DELIVERY_GUARANTEE=exactly-once, adds takeovers (a standby
replaces a frozen active, which must be fenced) to full and ci, reads with read_committed,
ends the line with fenced=F, and fails on any duplicate.
--failover runs PostgreSQL 17 as a primary with a hot standby and adds primary failovers
(SIGKILL the primary, promote the standby, build a new standby) after each restart fault;
owlpost is given both hosts and must resume from its failover slot every time.
--cluster runs against three brokers (replication 3, min.insync.replicas 2) and adds broker
SIGKILLs (often the leader of the busiest partition) and graceful restarts; the line ends with
brokerKills=B. --schedule brokers (cluster only) injects broker faults alone, so every duplicate
is their cost.
--poison injects every kind of bad input in turn instead of junk alone: truncated envelopes,
envelopes with invalid UTF-8, junk, and first, once per run, a 32 MiB message over owlpost's
MAX_MESSAGE_BYTES, which must be dead-lettered without its body like the rest.
--consumer adds two @factlib/consumer instances applying every fact to a table, SIGKILLed in
turn every 3 to 8 s (rebalances); each committed fact must be applied exactly once and in
per-aggregate order. The line ends with applied=A appliedTwice=0 appliedOutOfOrder=0 consumerKills=C.
--soak runs owlpost for M minutes (default 20) against a slow PostgreSQL (every answer held
200 ms) while facts flow and its lag poller polls every 100 ms, and samples its walsender
connections and RSS every 10 s: both must stay flat. Ends with one line:
soak minutes=M delayMs=D walsenders=min..max (slope) rssMiB=first..last max (slope) proxyConnections=C`

const { values } = parseArgs({
  // `pnpm chaos -- --exactly-once` passes the `--` on.
  args: process.argv.slice(2).filter((arg) => arg !== '--'),
  options: {
    facts: { type: 'string', default: '200000' },
    rate: { type: 'string', default: '1000' },
    schedule: { type: 'string', default: 'full' },
    'exactly-once': { type: 'boolean', default: false },
    failover: { type: 'boolean', default: false },
    cluster: { type: 'boolean', default: false },
    poison: { type: 'boolean', default: false },
    consumer: { type: 'boolean', default: false },
    soak: { type: 'boolean', default: false },
    minutes: { type: 'string', default: '20' },
    help: { type: 'boolean', default: false },
  },
})
if (values.help) {
  console.log(usage)
  process.exit(0)
}
const facts = Number(values.facts)
const rate = Number(values.rate)
if (!Number.isInteger(facts) || facts <= 0 || !Number.isFinite(rate) || rate < 0) {
  console.error(`bad arguments\n\n${usage}`)
  process.exit(2)
}

function chooseSchedule(name: string, exactlyOnce: boolean, cluster: boolean) {
  if (cluster) return clusterScheduleNamed(name)
  if (name === 'kills') return killsSchedule
  if (name === 'ci') return exactlyOnce ? ciExactlyOnceSchedule : ciSchedule
  return exactlyOnce ? exactlyOnceSchedule : fullSchedule
}

// Exit through process.exit so the exit hooks stop the dedicated servers and owlpost.
process.once('SIGINT', () => process.exit(130))
process.once('SIGTERM', () => process.exit(143))

if (values.soak) {
  const soak = await runSoak({ minutes: Number(values.minutes), log: (line) => console.log(line) })
  for (const problem of soak.problems) console.log(`FAIL: ${problem}`)
  console.log(soak.summary)
  process.exit(soak.problems.length === 0 ? 0 : 1)
}

const result = await runChaos({
  facts,
  ...(rate > 0 ? { ratePerSecond: rate } : {}),
  schedule: chooseSchedule(values.schedule, values['exactly-once'], values.cluster),
  exactlyOnce: values['exactly-once'],
  cluster: values.cluster,
  log: (line) => console.log(line),
  failover: values.failover,
  poisonMix: values.poison,
  consumer: values.consumer,
})
function clusterScheduleNamed(name: string) {
  return name === 'ci' ? clusterCiSchedule : name === 'brokers' ? brokersOnlySchedule : clusterFullSchedule
}

for (const problem of result.problems) console.log(`FAIL: ${problem}`)
console.log(`took ${Math.round(result.durationMs / 1000)} s`)
console.log(result.summary)
process.exit(result.problems.length === 0 ? 0 : 1)
