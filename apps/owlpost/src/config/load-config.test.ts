import { describe, expect, it } from 'vitest'
import { loadConfig } from './load-config.js'
import { minimal, problemsOf } from './test-env.js'

describe('loadConfig', () => {
  it('applies the Go owlpost defaults', () => {
    const config = loadConfig(minimal)
    expect(config.prefixes).toEqual(['westeros'])
    expect(config.kafka.brokers).toEqual(['k1:9092', 'k2:9092'])
    expect(config.slotName).toBe('factlib_slot')
    expect(config.publicationName).toBe('facts')
    expect(config.healthPort).toBe(3001)
    expect(config.metricsPort).toBe(2112)
    expect(config.kafka.ssl).toBe(false)
    expect(config.kafka.sasl).toBeUndefined()
    expect(config.kafka.clientId).toBe('owlpost.unknown')
  })

  it('reads several prefixes and SASL credentials', () => {
    const config = loadConfig({
      ...minimal,
      WAL_PREFIX: 'orders, billing',
      KAFKA_USERNAME: 'relay',
      KAFKA_PASSWORD: 'pw',
      KAFKA_SSL: 'true',
    })
    expect(config.prefixes).toEqual(['orders', 'billing'])
    expect(config.kafka.sasl).toEqual({ mechanism: 'scram-sha-512', username: 'relay', password: 'pw' })
    expect(config.kafka.ssl).toBe(true)
  })

  it('lists every problem in one error', () => {
    const problems = problemsOf({
      WAL_PREFIX: 'bad prefix!',
      KAFKA_BROKERS: 'nohostport',
      WAL_HEALTH_PORT: '70000',
      KAFKA_SSL: 'maybe',
      REPLICATION_SLOT_NAME: 'Bad-Slot',
    })
    const variables = problems.map((problem) => problem.split(':')[0])
    expect(variables.sort()).toEqual(
      [
        'KAFKA_BROKERS',
        'KAFKA_SSL',
        'MASTER_DATABASE_URL',
        'REPLICATION_SLOT_NAME',
        'WAL_HEALTH_PORT',
        'WAL_PREFIX',
      ].sort(),
    )
    expect(problems.find((problem) => problem.startsWith('MASTER_DATABASE_URL'))).toContain('required')
  })

  it('never repeats a secret in its messages', () => {
    let message = ''
    try {
      loadConfig({
        ...minimal,
        MASTER_DATABASE_URL: 'mysql://relay:s3cret@db/app',
        KAFKA_PASSWORD: 'hunter2',
        METRICS_PORT: 'x',
      })
    } catch (error) {
      message = (error as Error).message
    }
    expect(message).toContain('MASTER_DATABASE_URL')
    expect(message).not.toContain('s3cret')
    expect(message).not.toContain('hunter2')
  })

  it('requires a password with a username', () => {
    expect(problemsOf({ ...minimal, KAFKA_USERNAME: 'relay' })).toEqual([
      'KAFKA_PASSWORD: is required when KAFKA_USERNAME is set',
    ])
  })

  it('caps a WAL message at 8 MiB by default, and refuses a cap that cannot work', () => {
    expect(loadConfig(minimal).maxMessageBytes).toBe(8 * 1024 * 1024)
    expect(loadConfig({ ...minimal, MAX_MESSAGE_BYTES: '1048576' }).maxMessageBytes).toBe(1048576)
    for (const value of ['0', '65535', '1073741825', '1.5', 'lots']) {
      expect(problemsOf({ ...minimal, MAX_MESSAGE_BYTES: value })[0]).toMatch(/^MAX_MESSAGE_BYTES: must be/)
    }
  })
})
