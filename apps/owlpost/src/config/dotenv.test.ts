import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadDotenv } from './dotenv.js'

function dotenvFile(text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'owlpost-dotenv-')), '.env')
  writeFileSync(path, text)
  return path
}

describe('loadDotenv', () => {
  it('adds the variables the environment lacks and lets those already set win, as godotenv.Load does', () => {
    const path = dotenvFile(
      [
        '# the Go owlpost deployment',
        'WAL_PREFIX=westeros',
        'export KAFKA_BROKERS="localhost:9093"',
        "MASTER_DATABASE_URL='postgres://app@db/westeros'",
        'REPLICATION_SLOT_NAME=from_file',
      ].join('\n'),
    )
    const env: NodeJS.ProcessEnv = { REPLICATION_SLOT_NAME: 'from_environment' }
    const result = loadDotenv(env, path)
    expect(result?.path).toBe(path)
    expect(result?.applied.sort()).toEqual(['KAFKA_BROKERS', 'MASTER_DATABASE_URL', 'WAL_PREFIX'])
    expect(env).toEqual({
      WAL_PREFIX: 'westeros',
      KAFKA_BROKERS: 'localhost:9093',
      MASTER_DATABASE_URL: 'postgres://app@db/westeros',
      REPLICATION_SLOT_NAME: 'from_environment',
    })
  })

  it('treats a variable set to the empty string as set', () => {
    const env: NodeJS.ProcessEnv = { KAFKA_PASSWORD: '' }
    loadDotenv(env, dotenvFile('KAFKA_PASSWORD=secret\n'))
    expect(env.KAFKA_PASSWORD).toBe('')
  })

  it('is no error without a file', () => {
    const env: NodeJS.ProcessEnv = {}
    expect(loadDotenv(env, join(tmpdir(), 'no-such-dir-owlpost', '.env'))).toBeUndefined()
    expect(env).toEqual({})
  })

  it('names the file it cannot read', () => {
    const directory = mkdtempSync(join(tmpdir(), 'owlpost-dotenv-'))
    expect(() => loadDotenv({}, directory)).toThrow(directory)
  })
})
