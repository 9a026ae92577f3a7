import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { makeSelfSignedCertificate } from '@factlib/testing'
import { describe, expect, it } from 'vitest'
import type { owlpostEnv } from './env-spec.js'
import { loadConfig } from './load-config.js'
import { minimal, problemsOf } from './test-env.js'

const dir = mkdtempSync(join(tmpdir(), 'owlpost-config-'))
const notPem = join(dir, 'not-pem.txt')
writeFileSync(notPem, 'hello')

const certificatePair = (name: string) => makeSelfSignedCertificate(dir, name)

/**
 * Values out of each variable's domain. Typed over every variable of the spec, so a variable
 * added without a domain here fails to compile. Free text has no value out of its domain.
 */
const outOfDomain: Record<keyof typeof owlpostEnv, readonly string[]> = {
  APP_NAME: [],
  SRC_SERVICE_NAME: [],
  WAL_PREFIX: ['bad prefix!', ',', 'x'.repeat(201)],
  MASTER_DATABASE_URL: ['mysql://db/app', 'postgres://db:99999/app'],
  KAFKA_BROKERS: ['nohostport', 'k1:0', 'k1:65536', 'k1:99999', 'k1:9092,k2'],
  KAFKA_USERNAME: [],
  KAFKA_PASSWORD: [],
  KAFKA_SSL: ['maybe', '2'],
  REPLICATION_SLOT_NAME: ['Bad-Slot', 'x'.repeat(64)],
  PUBLICATION_NAME: ['1pub', 'a b'],
  WAL_HEALTH_PORT: ['0', '65536', '-1', 'http'],
  METRICS_PORT: ['0', '65536', '1.5'],
  HTTP_HOST: ['not a host', 'http://0.0.0.0', '-x'],
  LOG_LEVEL: ['verbose'],
  KAFKA_SASL_MECHANISM: ['gssapi', 'oauthbearer'],
  KAFKA_SASL_ALLOW_PLAINTEXT: ['sure'],
  KAFKA_SSL_CA_FILE: [join(dir, 'missing.pem'), notPem, dir],
  KAFKA_SSL_CERT_FILE: [join(dir, 'missing.pem'), notPem],
  KAFKA_SSL_KEY_FILE: [join(dir, 'missing.pem'), notPem],
  KAFKA_SSL_KEY_PASSWORD: [],
  KAFKA_COMPRESSION: ['snappy', 'lz4', 'brotli'],
  KAFKA_TOPIC_PARTITIONS: ['0', '-3', '2147483648'],
  KAFKA_TOPIC_REPLICATION_FACTOR: ['0', '32768'],
  DEAD_LETTER_TOPIC: ['has space', '.', '..', 'x'.repeat(250), 'a/b'],
  ON_PERMANENT_ERROR: ['ignore', 'drop'],
  MAX_IN_FLIGHT_FACTS: ['0', '1000001'],
  MAX_IN_FLIGHT_BYTES: ['0', '1023', '2147483648'],
  MAX_MESSAGE_BYTES: ['0', '65535', '1073741825'],
  KAFKA_MAX_REQUEST_BYTES: ['131071', '2147483648', 'big'],
  KAFKA_LINGER_MS: ['-1', '2147483648'],
  STATUS_INTERVAL_MS: ['0', '2147483648'],
  CONFIRM_INTERVAL_MS: ['-1', '2147483648'],
  WAL_SILENCE_TIMEOUT_MS: ['0', '99999999999'],
  SHUTDOWN_TIMEOUT_MS: ['0', '2147483648'],
  STANDBY_RETRY_MS: ['0', '99999999999', '2147483648'],
  RECONNECT_MAX_BACKOFF_MS: ['0', '2147483648'],
  LAG_POLL_INTERVAL_MS: ['0', '2147483648'],
  DELIVERY_GUARANTEE: ['at-most-once'],
  EOS_COMMIT_INTERVAL_MS: ['0', '2147483648'],
  EOS_MAX_FACTS: ['0', '1000001'],
  EOS_TRANSACTION_TIMEOUT_MS: ['0', '2147483648'],
  EOS_CHECKPOINT_TOPIC: ['has space', '..'],
  EOS_TRANSACTIONAL_ID: [],
  LIVENESS_MAX_LOOP_STALL_MS: ['99', '2147483648'],
  LIVENESS_MAX_NO_PROGRESS_MS: ['999', '2147483648'],
  FAILOVER_SLOT: ['perhaps'],
  ALLOW_SLOT_RECREATE: ['perhaps'],
}

describe('every variable has a domain', () => {
  for (const [variable, values] of Object.entries(outOfDomain)) {
    for (const value of values) {
      it(`${variable}=${JSON.stringify(value.length > 40 ? `${value.slice(0, 37)}...` : value)} stops owlpost, naming it`, () => {
        const env = { ...minimal, DELIVERY_GUARANTEE: 'exactly-once', [variable]: value }
        const problems = problemsOf(env)
        expect(
          problems.some((problem) => problem.startsWith(`${variable}: `)),
          problems.join('\n'),
        ).toBe(true)
      })
    }
  }

  it('a missing TLS file is named with the variable, never a bare ENOENT', () => {
    const [problem] = problemsOf({ ...minimal, KAFKA_SSL_CA_FILE: '/nowhere/ca.pem' })
    expect(problem).toBe('KAFKA_SSL_CA_FILE: names /nowhere/ca.pem, which does not exist')
  })
})

describe('settings that cannot work together', () => {
  it('SASL PLAIN without TLS is refused unless explicitly allowed; SCRAM without TLS only warns', () => {
    const plain = { ...minimal, KAFKA_USERNAME: 'relay', KAFKA_PASSWORD: 'pw', KAFKA_SASL_MECHANISM: 'plain' }
    expect(problemsOf(plain)[0]).toMatch(/^KAFKA_SASL_MECHANISM: plain without TLS/)
    expect(problemsOf({ ...plain, KAFKA_SSL: 'true' })).toEqual([])
    const allowed = loadConfig({ ...plain, KAFKA_SASL_ALLOW_PLAINTEXT: 'true' })
    expect(allowed.warnings[0]).toMatch(/in clear \(SASL PLAIN without TLS\)/)
    const scram = loadConfig({ ...plain, KAFKA_SASL_MECHANISM: 'scram-sha-512' })
    expect(scram.warnings).toHaveLength(1)
    expect(scram.warnings[0]).toMatch(/^KAFKA_SSL: SASL SCRAM-SHA-512 without TLS/)
    expect(loadConfig({ ...plain, KAFKA_SSL: 'true' }).warnings).toEqual([])
  })

  it('mTLS takes a certificate and its own key, read at start', () => {
    const client = certificatePair('client')
    const other = certificatePair('other')
    const config = loadConfig({
      ...minimal,
      KAFKA_SSL_CERT_FILE: client.cert,
      KAFKA_SSL_KEY_FILE: client.key,
    })
    expect(config.kafka.ssl).toBe(true)
    expect(config.kafka.tls?.cert).toMatch(/BEGIN CERTIFICATE/)
    expect(config.kafka.tls?.key).toMatch(/PRIVATE KEY/)
    expect(problemsOf({ ...minimal, KAFKA_SSL_CERT_FILE: client.cert })).toEqual([
      'KAFKA_SSL_KEY_FILE: is required with the other: a client certificate and its key go together (mTLS)',
    ])
    expect(
      problemsOf({ ...minimal, KAFKA_SSL_CERT_FILE: client.cert, KAFKA_SSL_KEY_FILE: other.key }),
    ).toEqual(['KAFKA_SSL_KEY_FILE: is not the private key of the certificate in KAFKA_SSL_CERT_FILE'])
  })

  it('an exactly-once commit interval at or over the transaction timeout is refused', () => {
    const env = { ...minimal, DELIVERY_GUARANTEE: 'exactly-once', EOS_TRANSACTION_TIMEOUT_MS: '1000' }
    expect(problemsOf({ ...env, EOS_COMMIT_INTERVAL_MS: '1000' })[0]).toMatch(
      /^EOS_COMMIT_INTERVAL_MS: must be less/,
    )
    expect(problemsOf({ ...env, EOS_COMMIT_INTERVAL_MS: '999' })).toEqual([])
  })

  it('listens on loopback unless told', () => {
    expect(loadConfig(minimal).httpHost).toBe('127.0.0.1')
    expect(loadConfig({ ...minimal, HTTP_HOST: '::' }).httpHost).toBe('::')
  })
})
