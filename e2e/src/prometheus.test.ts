import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createProducer } from '@factlib/producer'
import {
  createDatabase,
  type KafkaService,
  type PostgresService,
  type PrometheusService,
  postgresMajor,
  startKafka,
  startPostgres,
  startPrometheus,
  uniqueName,
  waitFor,
} from '@factlib/testing'
import postgres from 'postgres'
import { afterAll, describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { type OwlpostProcess, startOwlpost } from './support/owlpost-process.js'
import { utf8 } from './support/scenario.js'

const deploy = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'deploy')
const rulesText = readFileSync(join(deploy, 'prometheus', 'owlpost-alerts.yaml'), 'utf8')
const dashboard = JSON.parse(readFileSync(join(deploy, 'grafana', 'owlpost.json'), 'utf8')) as {
  panels: { title: string; targets?: { expr: string }[] }[]
}

/**
 * The rules as deployed, with `for:` at 0 s and range windows and offsets shortened to 15 s so a
 * test minute shows what production minutes would; thresholds and expressions otherwise identical.
 */
function testCopyOfRules(text: string): string {
  return text
    .replace(/^(\s+for:) \S+$/gm, '$1 0s')
    .replace(/\[\d+[smh]\]/g, '[15s]')
    .replace(/offset \d+[smh]/g, 'offset 15s')
}

interface Rule {
  alert: string
  expr: string
}
const testRules = (parse(testCopyOfRules(rulesText)) as { groups: { rules: Rule[] }[] }).groups.flatMap(
  (group) => group.rules,
)

/** Grafana's variables, as Grafana would fill them for "All" and a short range. */
const panelQueries = dashboard.panels.flatMap((panel) =>
  (panel.targets ?? []).map((target) => ({
    panel: panel.title,
    expr: target.expr.replaceAll('$job', '.*').replaceAll('$__rate_interval', '30s'),
  })),
)

/** Every owlpost_* and factlib_* name a query mentions. */
const metricNames = (expr: string) => [...expr.matchAll(/\b(?:owlpost|factlib)_[a-z0-9_]+/g)].map((m) => m[0])

describe('the operator kit against a real Prometheus', () => {
  let pg: PostgresService | undefined
  let kafka: KafkaService | undefined
  let owlpost: OwlpostProcess | undefined
  let eosOwlpost: OwlpostProcess | undefined
  let prometheus: PrometheusService | undefined
  let sql: postgres.Sql | undefined
  let writing = false
  let writer: Promise<void> | undefined

  afterAll(async () => {
    writing = false
    await writer
    await owlpost?.stop().catch(() => undefined)
    await eosOwlpost?.stop().catch(() => undefined)
    await prometheus?.stop()
    await sql?.end()
    await kafka?.dispose()
    await pg?.dispose()
  })

  it('every alert expression and dashboard query returns series; slot and Kafka alerts fire in an outage and resolve', async () => {
    const started = performance.now()
    // Our own servers: PostgreSQL with max_slot_wal_keep_size, so the retained-WAL alert has a
    // threshold a test reaches, and a Kafka this test may stop without breaking other files.
    ;[pg, kafka] = await Promise.all([
      startPostgres({ settings: { max_slot_wal_keep_size: '64MB' } }),
      startKafka({ dedicated: true }),
    ])
    const db = await createDatabase(pg, 'prom')
    sql = postgres(db.url, { max: 4, onnotice: () => {} })
    const prefix = uniqueName('prom').replaceAll('_', '-')
    // Two relays on the database: at-least-once and exactly-once, each with its prefix and slot.
    const eosPrefix = `${prefix}-eos`
    const relayEnv = (walPrefix: string, label: string, extra: Record<string, string> = {}) => ({
      MASTER_DATABASE_URL: db.url,
      KAFKA_BROKERS: kafka?.brokers.join(',') ?? '',
      WAL_PREFIX: walPrefix,
      REPLICATION_SLOT_NAME: uniqueName(`prom_${label}_slot`),
      PUBLICATION_NAME: uniqueName(`prom_${label}_pub`),
      LIVENESS_MAX_NO_PROGRESS_MS: '10000',
      ...extra,
    })
    ;[owlpost, eosOwlpost] = await Promise.all([
      startOwlpost(relayEnv(prefix, 'alo')),
      startOwlpost(relayEnv(eosPrefix, 'eos', { DELIVERY_GUARANTEE: 'exactly-once' })),
    ])
    await Promise.all([owlpost.ready(), eosOwlpost.ready()])
    prometheus = await startPrometheus({
      targets: [`127.0.0.1:${owlpost.healthPort}`, `127.0.0.1:${eosOwlpost.healthPort}`],
      rules: { 'owlpost-alerts.yaml': testCopyOfRules(rulesText) },
    })
    const prom = prometheus

    // Which alert expressions returned series, and which alerts reached firing, sampled every second.
    const seen = new Set<string>()
    const fired = new Set<string>()
    let firingNow = new Set<string>()
    let deliveryFailing = 0
    let sampling = true
    const sampler = (async () => {
      while (sampling) {
        for (const rule of testRules) {
          if ((await prom.query(rule.expr)).length > 0) seen.add(rule.alert)
        }
        const firing = (await prom.alerts()).filter((a) => a.state === 'firing')
        firingNow = new Set(firing.map((a) => a.labels.alertname as string))
        deliveryFailing = firing.filter((a) => a.labels.alertname === 'OwlpostKafkaDeliveryFailing').length
        for (const name of firingNow) fired.add(name)
        await new Promise((resolve) => setTimeout(resolve, 1_000))
      }
    })()

    const producer = createProducer({ prefix })
    const eosProducer = createProducer({ prefix: eosPrefix })
    const sqlNow = sql
    writing = true
    writer = (async () => {
      for (let n = 0; writing; n++) {
        await sqlNow
          .begin(async (tx) => {
            const fact = {
              aggregateType: 'order',
              aggregateId: `o-${n % 10}`,
              eventType: 'order.placed',
              payload: utf8('{}'),
            }
            await producer.emit(tx, fact)
            await eosProducer.emit(tx, fact)
          })
          .catch(() => undefined)
        await new Promise((resolve) => setTimeout(resolve, 200))
      }
    })()

    // On a timeout, the error says what Prometheus showed last.
    const until = (what: string, check: () => boolean | Promise<boolean>, ms = 60_000) =>
      waitFor(
        what,
        async () => {
          if (await check()) return true
          throw new Error(`firing: ${[...firingNow].join(', ')}; expressions seen: ${[...seen].join(', ')}`)
        },
        ms,
      )
    await until('facts delivered, as Prometheus sees them', async () => {
      return (await prom.query('sum(owlpost_facts_delivered_total) > 0')).length > 0
    })
    // One poison fact: not an envelope.
    await sqlNow.begin((tx) => [tx`select pg_logical_emit_message(true, ${prefix}, '\\xdeadbeefff'::bytea)`])
    await until('OwlpostDeadLetters firing', () => fired.has('OwlpostDeadLetters'))

    // The outage: facts keep coming and wait; 40 MB of other WAL pass, more than half of
    // max_slot_wal_keep_size, and the slot must keep it while facts before it are unconfirmed.
    const outageAt = performance.now()
    await kafka.stop()
    await new Promise((resolve) => setTimeout(resolve, 2_000))
    await sqlNow`create table filler as select repeat(md5(g::text), 32) as text from generate_series(1, 40000) g`
    await until(
      'the outage alerts firing',
      () =>
        firingNow.has('OwlpostSlotRetainedWalHigh') &&
        // for both relays: exactly-once's shows active 0 while Kafka is down
        deliveryFailing === 2 &&
        seen.has('OwlpostNotConfirming') &&
        seen.has('OwlpostStuck'),
      90_000,
    )
    const outageSeconds = (performance.now() - outageAt) / 1000
    await kafka.start()
    await until(
      'the outage alerts resolved',
      () => !firingNow.has('OwlpostSlotRetainedWalHigh') && !firingNow.has('OwlpostKafkaDeliveryFailing'),
      120_000,
    )
    await until('facts delivered again', async () => {
      return (await prom.query('sum(rate(owlpost_facts_delivered_total[5s])) > 0')).length > 0
    })

    // Every panel of the dashboard shows data.
    const empty: string[] = []
    for (const { panel, expr } of panelQueries) {
      if ((await prom.query(expr)).length === 0) empty.push(`${panel}: ${expr}`)
    }
    expect(empty).toEqual([])

    // Every metric name in the rules and the dashboard is one owlpost serves.
    const served = await owlpost.metrics()
    const named = new Set([
      ...testRules.flatMap((rule) => metricNames(rule.expr)),
      ...panelQueries.flatMap((q) => metricNames(q.expr)),
    ])
    const unknown = [...named].filter(
      (name) => !new RegExp(`^(# (HELP|TYPE) )?${name}[ {]`, 'm').test(served),
    )
    expect(unknown).toEqual([])

    // Every instance down: no active instance.
    writing = false
    await writer
    await Promise.all([owlpost.stop(), eosOwlpost.stop()])
    await until('OwlpostNoActiveInstance firing', () => fired.has('OwlpostNoActiveInstance'), 30_000)
    sampling = false
    await sampler

    // kafka-sink's corrections to kafkajs all apply here, so that alert's condition cannot be made;
    // its metric is served (checked above) and the expression evaluates, to nothing.
    const uncaused = new Set(['OwlpostKafkajsCorrectionInactive'])
    if (postgresMajor() < 17) uncaused.add('OwlpostFailoverSlotUnsafe')
    const expected = testRules.map((rule) => rule.alert).filter((name) => !uncaused.has(name))
    expect(expected.filter((name) => !seen.has(name))).toEqual([])
    for (const name of ['OwlpostSlotRetainedWalHigh', 'OwlpostKafkaDeliveryFailing'])
      expect(fired).toContain(name)
    console.log(
      `prometheus.test: outage ${outageSeconds.toFixed(1)} s, whole test ${((performance.now() - started) / 1000).toFixed(1)} s`,
    )
  }, 300_000)
})
