import { createRequire } from 'node:module'
import { describe, expect, it } from 'vitest'
import { classify, producerStateErrors, recordRejections } from './error-classification.js'

const require = createRequire(import.meta.url)
const { createErrorFromCode, errorCodes } = require('kafkajs/src/protocol/error.js') as {
  createErrorFromCode(code: number): Error & { type: string; retriable: boolean }
  errorCodes: { type: string; code: number; retriable: boolean }[]
}
const { KafkaJSNumberOfRetriesExceeded, KafkaJSConnectionError, KafkaJSRequestTimeoutError } =
  require('kafkajs/src/errors.js') as Record<
    'KafkaJSNumberOfRetriesExceeded' | 'KafkaJSConnectionError' | 'KafkaJSRequestTimeoutError',
    new (
      ...args: unknown[]
    ) => Error
  >

/**
 * Every error Kafka 4.1 itself calls retriable: the entries of org.apache.kafka.common.protocol.Errors
 * whose exception is a RetriableException, printed from the broker's own jars with
 *   for (Errors e : Errors.values()) if (e.exception() instanceof RetriableException) println(e.code() + " " + e)
 */
const kafkaRetriable: [number, string][] = [
  [2, 'CORRUPT_MESSAGE'],
  [3, 'UNKNOWN_TOPIC_OR_PARTITION'],
  [5, 'LEADER_NOT_AVAILABLE'],
  [6, 'NOT_LEADER_OR_FOLLOWER'],
  [7, 'REQUEST_TIMED_OUT'],
  [9, 'REPLICA_NOT_AVAILABLE'],
  [13, 'NETWORK_EXCEPTION'],
  [14, 'COORDINATOR_LOAD_IN_PROGRESS'],
  [15, 'COORDINATOR_NOT_AVAILABLE'],
  [16, 'NOT_COORDINATOR'],
  [19, 'NOT_ENOUGH_REPLICAS'],
  [20, 'NOT_ENOUGH_REPLICAS_AFTER_APPEND'],
  [41, 'NOT_CONTROLLER'],
  [51, 'CONCURRENT_TRANSACTIONS'],
  [56, 'KAFKA_STORAGE_ERROR'],
  [70, 'FETCH_SESSION_ID_NOT_FOUND'],
  [71, 'INVALID_FETCH_SESSION_EPOCH'],
  [72, 'LISTENER_NOT_FOUND'],
  [74, 'FENCED_LEADER_EPOCH'],
  [75, 'UNKNOWN_LEADER_EPOCH'],
  [78, 'OFFSET_NOT_AVAILABLE'],
  [80, 'PREFERRED_LEADER_NOT_AVAILABLE'],
  [83, 'ELIGIBLE_LEADERS_NOT_AVAILABLE'],
  [84, 'ELECTION_NOT_NEEDED'],
  [88, 'UNSTABLE_OFFSET_COMMIT'],
  [89, 'THROTTLING_QUOTA_EXCEEDED'],
  [100, 'UNKNOWN_TOPIC_ID'],
  [103, 'INCONSISTENT_TOPIC_ID'],
  [106, 'FETCH_SESSION_TOPIC_ID_ERROR'],
  [122, 'SHARE_SESSION_NOT_FOUND'],
  [123, 'INVALID_SHARE_SESSION_EPOCH'],
  [133, 'SHARE_SESSION_LIMIT_REACHED'],
]

const asIs = (text: string) => text
/** What kafkajs throws from send() once its own retries for a broker answer run out. */
const afterKafkajsRetries = (error: Error) =>
  new KafkaJSNumberOfRetriesExceeded(error, { retryCount: 3, retryTime: 1000 })

describe('classifying kafkajs errors', () => {
  it.each(kafkaRetriable)(
    'Kafka-retriable %i %s is retried, never dead-lettered or halting',
    (code, type) => {
      // kafkajs 2.2.4 does not know the newest codes; a broker answer it cannot name still gets retried.
      // kafkajs names some by older names (NOT_LEADER_FOR_PARTITION for NOT_LEADER_OR_FOLLOWER).
      const kafkajsType = errorCodes.find((entry) => entry.code === code)?.type
      const raw = kafkajsType ? createErrorFromCode(code) : Object.assign(new Error(type), { type })
      for (const error of [raw, afterKafkajsRetries(raw)]) {
        const failure = classify(error, asIs)
        expect(
          failure.kind === 'transient' || failure.kind === 'topic-missing',
          `${type} -> ${failure.kind}`,
        ).toBe(true)
        expect(failure.code).toBe(kafkajsType ?? type)
      }
    },
  )

  it('no record rejection or producer-state answer is one Kafka calls retriable', () => {
    const retriable = new Set(kafkaRetriable.map(([, type]) => type))
    expect([...recordRejections, ...producerStateErrors].filter((type) => retriable.has(type))).toEqual([])
  })

  it('every record rejection is a code kafkajs knows, so a typo cannot silently make it transient', () => {
    const known = new Set(errorCodes.map((entry) => entry.type))
    expect([...recordRejections, ...producerStateErrors].filter((type) => !known.has(type))).toEqual([])
  })

  it.each([...producerStateErrors])('%s resets the producer (producer-state), also when wrapped', (type) => {
    const code = errorCodes.find((entry) => entry.type === type)!.code
    expect(classify(createErrorFromCode(code), asIs).kind).toBe('producer-state')
    expect(classify(afterKafkajsRetries(createErrorFromCode(code)), asIs).kind).toBe('producer-state')
  })

  it.each([...recordRejections])('%s is a rejected record', (type) => {
    const code = errorCodes.find((entry) => entry.type === type)!.code
    expect(classify(afterKafkajsRetries(createErrorFromCode(code)), asIs).kind).toBe('record-rejected')
  })

  it('a dead broker connection and a request timeout are transient', () => {
    const refused = new KafkaJSConnectionError('Connection error: connect ECONNREFUSED 127.0.0.1:9092', {
      broker: '127.0.0.1:9092',
      code: 'ECONNREFUSED',
    })
    expect(classify(afterKafkajsRetries(refused), asIs).kind).toBe('transient')
    const timeout = new KafkaJSRequestTimeoutError('Request Produce(key: 0, version: 7) timed out', {})
    expect(classify(timeout, asIs).kind).toBe('transient')
  })
})
