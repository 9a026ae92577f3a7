import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { describe, expect, it } from 'vitest'
import { owlpostCli } from './support/owlpost-process.js'

describe('owlpost with a broken configuration', () => {
  it('refuses to start and lists every problem in one message, without secrets', async () => {
    const child = spawn(process.execPath, [owlpostCli], {
      env: {
        PATH: process.env.PATH ?? '',
        WAL_PREFIX: 'has space',
        KAFKA_BROKERS: 'localhost',
        MASTER_DATABASE_URL: 'mysql://relay:topsecret@db/app',
        WAL_HEALTH_PORT: 'eighty',
        KAFKA_USERNAME: 'relay',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stderr = ''
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString()
    })
    const [code] = await once(child, 'exit')
    expect(code).toBe(2)
    expect(stderr).toContain('owlpost configuration is invalid')
    for (const variable of [
      'WAL_PREFIX',
      'KAFKA_BROKERS',
      'MASTER_DATABASE_URL',
      'WAL_HEALTH_PORT',
      'KAFKA_PASSWORD',
    ]) {
      expect(stderr).toContain(`- ${variable}:`)
    }
    expect(stderr).not.toContain('topsecret')
    expect(stderr.trim().split('\n')[0]).toMatch(/^owlpost configuration is invalid \(\d+ problems\):$/)
  })
})
