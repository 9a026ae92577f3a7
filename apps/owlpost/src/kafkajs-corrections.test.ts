import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { join } from 'node:path'
import { kafkajsCorrectionNames } from '@factlib/kafka-sink'
import { freePort, waitFor } from '@factlib/testing'
import { afterEach, describe, expect, it } from 'vitest'
import { owlpostNodeFlags } from './runtime-flags.js'

// The built CLI, as deployed: whether the corrections apply depends on the order in which its
// modules load kafkajs and @factlib/kafka-sink, which only the real entry point shows.
const cli = join(import.meta.dirname, '..', 'dist', 'cli.js')

describe('the kafkajs corrections in owlpost', () => {
  let child: ChildProcess | undefined

  afterEach(async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = once(child, 'exit')
      child.kill('SIGKILL')
      await exited
    }
  })

  it('are all in effect, listed in /ready and as owlpost_kafkajs_correction_active', async () => {
    const port = await freePort()
    // Nothing listens on these: owlpost serves /ready and /metrics while it retries them.
    const [postgresPort, kafkaPort] = [await freePort(), await freePort()]
    child = spawn(process.execPath, [...owlpostNodeFlags, cli], {
      env: {
        PATH: process.env.PATH ?? '',
        WAL_PREFIX: 'corrections',
        MASTER_DATABASE_URL: `postgres://owlpost@127.0.0.1:${postgresPort}/owlpost`,
        KAFKA_BROKERS: `127.0.0.1:${kafkaPort}`,
        WAL_HEALTH_PORT: String(port),
        METRICS_PORT: String(port),
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    const output: string[] = []
    child.stdout?.on('data', (chunk: Buffer) => output.push(chunk.toString('utf8')))
    child.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString('utf8')))

    let readiness: Record<string, unknown> = {}
    await waitFor(
      'owlpost /ready',
      async () => {
        if (child?.exitCode !== null) throw new Error(`owlpost exited:\n${output.join('')}`)
        const response = await fetch(`http://127.0.0.1:${port}/ready`)
        readiness = (await response.json()) as Record<string, unknown>
        return true
      },
      30_000,
    )
    expect(readiness.ready).toBe(false)
    expect(readiness.kafkajsCorrections).toEqual(
      kafkajsCorrectionNames.map((name) => ({ name, applied: true })),
    )
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()
    for (const name of kafkajsCorrectionNames) {
      expect(metrics).toContain(`owlpost_kafkajs_correction_active{correction="${name}"} 1`)
    }
  })
})
