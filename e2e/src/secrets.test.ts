import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort, makeSelfSignedCertificate, startKafka } from '@factlib/testing'
import { afterAll, describe, expect, it } from 'vitest'
import { owlpostCli, startOwlpost } from './support/owlpost-process.js'
import { createScenario } from './support/scenario.js'

// One sentinel per secret variable, so a leak says which secret leaked.
const sentinels = {
  databasePassword: 'SENTINELdbPW7319',
  kafkaPassword: 'SENTINELkafkaPW4402',
  keyPassword: 'SENTINELkeyPW9051',
}

function leaks(text: string): string[] {
  return Object.entries(sentinels)
    .filter(([, sentinel]) => text.includes(sentinel))
    .map(([name]) => name)
}

/** A client certificate whose key is encrypted with the key-password sentinel. */
const encryptedClientCertificate = () =>
  makeSelfSignedCertificate(mkdtempSync(join(tmpdir(), 'owlpost-secrets-')), 'client', {
    passphrase: sentinels.keyPassword,
  })

async function runCli(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, [owlpostCli, ...args], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()))
  const [code] = await once(child, 'exit')
  return { code: code as number | null, output }
}

describe('no secret reaches a log line, an HTTP answer or a metric', () => {
  let world: Awaited<ReturnType<typeof createScenario>> | undefined
  afterAll(async () => {
    await world?.sql.end()
  })

  it('through start, failed connections, a config error and inspect', async () => {
    world = await createScenario('secrets')
    const kafka = await startKafka()
    const client = encryptedClientCertificate()
    const databaseUrl = new URL(world.db.url)
    databaseUrl.password = sentinels.databasePassword
    // Nothing listens there: the PostgreSQL connection fails, with the password in its URL.
    const deadDatabase = new URL(databaseUrl)
    deadDatabase.port = String(await freePort())
    const secretEnv = {
      ...world.owlpostEnv,
      MASTER_DATABASE_URL: databaseUrl.toString(),
      KAFKA_USERNAME: 'relay',
      KAFKA_PASSWORD: sentinels.kafkaPassword,
      KAFKA_SSL_CERT_FILE: client.cert,
      KAFKA_SSL_KEY_FILE: client.key,
      KAFKA_SSL_KEY_PASSWORD: sentinels.keyPassword,
      KAFKA_BROKERS: kafka.brokers.join(','),
      LOG_LEVEL: 'debug',
    }
    const seen: { where: string; text: string }[] = []

    // Start: the broker speaks no TLS and no SASL, so every Kafka connection fails, and the
    // PostgreSQL URL points where nothing listens; owlpost keeps retrying both, logging each.
    const owlpost = await startOwlpost({ ...secretEnv, MASTER_DATABASE_URL: deadDatabase.toString() })
    const url = (path: string) => `http://127.0.0.1:${owlpost.healthPort}${path}`
    await expect
      .poll(() => owlpost.output.some((line) => /connect|refused|ECONNREFUSED|SSL|TLS/i.test(line)), {
        timeout: 30_000,
      })
      .toBe(true)
    await new Promise((resolve) => setTimeout(resolve, 3_000))
    for (const path of ['/health', '/ready', '/metrics']) {
      seen.push({ where: `GET ${path}`, text: await (await fetch(url(path))).text() })
    }
    await owlpost.stop()
    seen.push({ where: 'owlpost log', text: owlpost.output.join('\n') })

    // A config error with every secret set.
    const broken = await runCli([], {
      ...secretEnv,
      METRICS_PORT: 'x',
      MASTER_DATABASE_URL: `mysql://relay:${sentinels.databasePassword}@db/app`,
    })
    expect(broken.code).toBe(2)
    seen.push({ where: 'config error', text: broken.output })

    // inspect: against the dead database (fails) and the live one (succeeds).
    const failedInspect = await runCli(['inspect'], {
      ...secretEnv,
      MASTER_DATABASE_URL: deadDatabase.toString(),
    })
    expect(failedInspect.code).not.toBe(0)
    seen.push({ where: 'inspect (failed)', text: failedInspect.output })
    const inspect = await runCli(['inspect'], secretEnv)
    seen.push({ where: 'inspect', text: inspect.output })

    for (const { where, text } of seen) {
      expect(text.length, `${where} said something`).toBeGreaterThan(0)
      expect(leaks(text), `${where} leaked:\n${text.slice(0, 2_000)}`).toEqual([])
    }
  }, 120_000)
})
