import { createProducer } from '@factlib/producer'
import { createDatabase, startKafka, startPostgres, startSlowProxy, uniqueName } from '@factlib/testing'
import postgres from 'postgres'
import { memoryOf } from '../bench/process-probe.js'
import { startOwlpost } from '../support/owlpost-process.js'

export interface SoakOptions {
  minutes: number
  /** How late the slow server answers: every chunk PostgreSQL sends is held this long. */
  delayMs?: number
  /** Facts per second the writer commits meanwhile. */
  ratePerSecond?: number
  log: (line: string) => void
}

export interface SoakResult {
  samples: number
  walsenders: { min: number; max: number; slopePerMinute: number }
  /** The slope leaves out the first quarter of the run, at most 2 minutes: the warm-up. */
  rssMiB: { first: number; last: number; max: number; slopePerMinute: number }
  /** Ends the run: `soak minutes=M walsenders=min..max (slope/min) rssMiB=first..last (slope/min)`. */
  summary: string
  problems: string[]
}

/** Least-squares slope of y over x. */
function slope(points: readonly [number, number][]): number {
  const n = points.length
  if (n < 2) return 0
  const meanX = points.reduce((sum, [x]) => sum + x, 0) / n
  const meanY = points.reduce((sum, [, y]) => sum + y, 0) / n
  let covariance = 0
  let variance = 0
  for (const [x, y] of points) {
    covariance += (x - meanX) * (y - meanY)
    variance += (x - meanX) ** 2
  }
  return variance === 0 ? 0 : covariance / variance
}

/**
 * owlpost for `minutes` against a slow PostgreSQL (a proxy that holds every answer), with facts
 * flowing and the lag poller asked to poll every 100 ms: the walsender connections it holds and
 * its resident memory are sampled every 10 s and must stay flat. Not part of CI (it takes the
 * minutes it is asked for): `pnpm chaos -- --soak --minutes 20`.
 */
export async function runSoak(options: SoakOptions): Promise<SoakResult> {
  const delayMs = options.delayMs ?? 200
  const rate = options.ratePerSecond ?? 50
  const [pg, kafka] = await Promise.all([startPostgres({ dedicated: true }), startKafka({ dedicated: true })])
  const db = await createDatabase(pg, 'soak')
  const proxy = await startSlowProxy({ host: pg.host, port: pg.port }, delayMs)
  const slowUrl = new URL(db.url)
  slowUrl.hostname = '127.0.0.1'
  slowUrl.port = String(proxy.port)
  const sql = postgres(db.url, { max: 2, onnotice: () => {} })
  const prefix = uniqueName('soak').replaceAll('_', '-')
  const producer = createProducer({ prefix })
  const owlpost = await startOwlpost({
    MASTER_DATABASE_URL: slowUrl.toString(),
    KAFKA_BROKERS: kafka.brokers.join(','),
    WAL_PREFIX: prefix,
    REPLICATION_SLOT_NAME: uniqueName('soak_slot'),
    PUBLICATION_NAME: uniqueName('soak_pub'),
    LAG_POLL_INTERVAL_MS: '100',
  })
  const walsenders: [number, number][] = []
  const rss: [number, number][] = []
  const problems: string[] = []
  let writing = true
  try {
    await owlpost.ready(120_000)
    const writer = (async () => {
      let sequence = 0
      while (writing) {
        await sql.begin((tx) =>
          producer.emit(tx, {
            aggregateType: 'soak',
            aggregateId: `a-${sequence % 16}`,
            eventType: 'soak.tick',
            payload: new TextEncoder().encode(JSON.stringify({ sequence: sequence++ })),
          }),
        )
        await new Promise((resolve) => setTimeout(resolve, 1000 / rate))
      }
    })()
    const begun = Date.now()
    const end = begun + options.minutes * 60_000
    while (Date.now() < end) {
      await new Promise((resolve) => setTimeout(resolve, 10_000))
      const minutes = (Date.now() - begun) / 60_000
      const [row] = await sql<{ count: number }[]>`
        select count(*)::int as count from pg_stat_activity
         where backend_type = 'walsender' and datname = ${db.name}`
      const memory = memoryOf(owlpost.pid)
      if (!memory) {
        problems.push(`owlpost exited: ${owlpost.output.slice(-5).join(' | ')}`)
        break
      }
      walsenders.push([minutes, row?.count ?? 0])
      rss.push([minutes, memory.rss / 2 ** 20])
      options.log(
        `soak ${minutes.toFixed(1)} min: walsenders ${row?.count}, proxy connections opened ${proxy.accepted}, RSS ${(memory.rss / 2 ** 20).toFixed(1)} MiB`,
      )
    }
    writing = false
    await writer
  } finally {
    writing = false
    await owlpost.stop().catch(() => undefined)
    await sql.end({ timeout: 5 })
    await proxy.close()
    await Promise.all([kafka.dispose(), pg.dispose()])
  }
  // The slope leaves out the warm-up (code compiled, heap grown to its working size).
  const warmUpMinutes = Math.min(2, options.minutes / 4)
  const steady = rss.filter(([minutes]) => minutes >= warmUpMinutes)
  const counts = walsenders.map(([, count]) => count)
  const mib = rss.map(([, value]) => value)
  const result = {
    samples: walsenders.length,
    walsenders: {
      min: Math.min(...counts),
      max: Math.max(...counts),
      slopePerMinute: slope(walsenders),
    },
    rssMiB: {
      first: mib[0] ?? 0,
      last: mib.at(-1) ?? 0,
      max: Math.max(...mib),
      slopePerMinute: slope(steady),
    },
  }
  // The replication stream and the lag poller: two walsenders, whatever the server's speed.
  if (result.walsenders.max > 2) problems.push(`up to ${result.walsenders.max} walsender connections, not 2`)
  if (result.rssMiB.slopePerMinute > 0.5)
    problems.push(`RSS grew ${result.rssMiB.slopePerMinute.toFixed(2)} MiB per minute`)
  const summary =
    `soak minutes=${options.minutes} delayMs=${delayMs} walsenders=${result.walsenders.min}..${result.walsenders.max} ` +
    `(slope ${result.walsenders.slopePerMinute.toFixed(3)}/min) rssMiB=${result.rssMiB.first.toFixed(1)}..${result.rssMiB.last.toFixed(1)} ` +
    `max ${result.rssMiB.max.toFixed(1)} (slope ${result.rssMiB.slopePerMinute.toFixed(3)} MiB/min) proxyConnections=${proxy.accepted}`
  return { ...result, summary, problems }
}
