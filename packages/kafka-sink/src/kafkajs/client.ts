/// <reference types="node" preserve="true" />
import type { Admin, Kafka, Message, Producer, SASLOptions, TopicMessages, Transaction } from 'kafkajs'
import {
  type OutgoingRecord,
  ProduceFailure,
  type ProducerClientSettings,
  type TopicSettings,
  type TransactionalProducerClient,
} from '../producer-client.js'
import { compressionTypes, compressionUnavailable } from './compression.js'
import { reportKafkajsCorrections } from './corrections.js'
import { classify, errorTypes } from './error-classification.js'
import { keyHashFirst } from './key-hash-partitioner.js'
import { readLatestCommitted } from './latest-value.js'
// kafkajs values come from patches.ts only: a static import of 'kafkajs' would load it
// before its partition grouping is replaced.
import { kafkajs, kafkajsCorrections } from './patches.js'
import { prepareRecord } from './prepared-record.js'
import { redactFields, redactor } from './redaction.js'
import { UnsentPartitions } from './unsent-partitions.js'

const { ConfigResourceTypes, Kafka: KafkaClient, Partitioners, logLevel } = kafkajs

/**
 * The transactional producer's retry: a transaction begun right after the previous commit meets
 * CONCURRENT_TRANSACTIONS until the commit markers are written, a few milliseconds later. Waits
 * that start at 1 ms and grow by a fifth catch the markers soon after they land, where doubling
 * from 5 ms overshot to 15 or 35 ms (the first produce of each transaction took 20 ms at the
 * median under load, every later one 1 ms). 40 tries still wait about 7 s in all, for a leader
 * election, against about 5 s before.
 */
const transactionalRetry = {
  retries: 40,
  initialRetryTime: 1,
  maxRetryTime: 1_000,
  factor: 0.2,
  multiplier: 1.2,
}

/**
 * The checkpoint topic gets a record and a commit marker per Kafka transaction, up to ten a second,
 * and resume() reads it from its start. Kafka compacts only closed segments (by default a week or
 * 1 GiB long) and keeps a transaction's marker a day after compacting its record: millions of
 * batches to read before a standby could take over. Segments of ten minutes and markers kept ten
 * minutes bound that to about half an hour of them.
 */
const checkpointTopicConfig = [
  { name: 'cleanup.policy', value: 'compact' },
  { name: 'segment.ms', value: String(10 * 60_000) },
  { name: 'delete.retention.ms', value: String(10 * 60_000) },
]

const produceRetry = { retries: 3, initialRetryTime: 100, maxRetryTime: 1_000 }

/**
 * The ProducerClient on kafkajs: idempotent producer, acks=-1, one request in flight. With
 * `settings.transactional` it is a TransactionalProducerClient.
 */
export function createKafkajsClient(settings: ProducerClientSettings): TransactionalProducerClient {
  reportKafkajsCorrections(settings.logger, kafkajsCorrections())
  const redact = redactor(settings)
  const kafka: Kafka = new KafkaClient({
    brokers: settings.brokers,
    clientId: settings.clientId,
    ...(settings.ssl ? { ssl: settings.ssl } : {}),
    ...(settings.sasl ? { sasl: settings.sasl as SASLOptions } : {}),
    connectionTimeout: 3_000,
    requestTimeout: 30_000,
    retry: produceRetry,
    logLevel: logLevel.INFO,
    logCreator: () => (entry) => {
      const { message, timestamp: _timestamp, logger: _logger, ...extra } = entry.log
      settings.logger.debug(
        { kafkajs: entry.namespace, level: logLevel[entry.level], ...redactFields(extra, redact) },
        redact(message),
      )
    },
  })
  const compression = compressionTypes[settings.compression]
  // Prepared records are written by the one-pass produce request encoder only: without it, or
  // with compression (which kafkajs's own encoder does), records go as they are.
  const prepares =
    settings.compression === 'none' &&
    kafkajsCorrections().some(({ name, applied }) => name === 'produce-request' && applied)
  const unsentPartitions = new UnsentPartitions(keyHashFirst(Partitioners.DefaultPartitioner))
  let producer: Producer | undefined
  let connecting: Promise<Producer> | undefined
  let admin: Admin | undefined
  const transactional = settings.transactional
  let transaction: Transaction | undefined

  const connectedProducer = (): Promise<Producer> => {
    if (producer) return Promise.resolve(producer)
    connecting ??= (async () => {
      const candidate = kafka.producer({
        idempotent: true,
        // kafkajs serialises idempotent produce requests per broker anyway; one in flight keeps
        // retried batches in order and their sequence numbers where the broker expects them.
        maxInFlightRequests: 1,
        allowAutoTopicCreation: true,
        createPartitioner: unsentPartitions.createPartitioner,
        retry: transactional ? transactionalRetry : produceRetry,
        ...(transactional
          ? { transactionalId: transactional.id, transactionTimeout: transactional.timeoutMs }
          : {}),
      })
      try {
        await candidate.connect()
      } catch (error) {
        await candidate.disconnect().catch(() => {})
        throw error
      }
      producer = candidate
      return candidate
    })().finally(() => {
      connecting = undefined
    })
    return connecting
  }

  const connectedAdmin = async (): Promise<Admin> => {
    if (admin) return admin
    const candidate = kafka.admin({ retry: produceRetry })
    await candidate.connect()
    admin = candidate
    return candidate
  }

  const fail = (error: unknown): never => {
    throw classify(error, redact, transactional !== undefined)
  }

  return {
    compressionUnavailable,

    async connect() {
      await connectedProducer().catch(fail)
    },

    ...(prepares ? { prepare: prepareRecord } : {}),

    async produce(records) {
      const target = transaction ?? (await connectedProducer().catch(fail))
      let pending = groupByTopic(records)
      for (let round = 1; ; round++) {
        const answers = await target
          .sendBatch({ topicMessages: pending, acks: -1, timeout: 30_000, compression })
          .catch(fail)
        pending = unsentPartitions.unsent(pending, answers)
        if (pending.length === 0) return
        const left = pending.reduce((sum, { messages }) => sum + messages.length, 0)
        settings.logger.warn(
          { records: left, topics: pending.map(({ topic }) => topic), round },
          'kafkajs left partitions unsent after a leader change; sending them again',
        )
        if (round === 10)
          fail(
            new ProduceFailure(
              'transient',
              undefined,
              `kafkajs left ${left} records unsent 10 times in a row`,
            ),
          )
      }
    },

    async resetProducer() {
      const previous = producer
      producer = undefined
      transaction = undefined
      await previous?.disconnect().catch(() => {})
    },

    async initTransactions() {
      // kafkajs sends InitProducerId with the first transaction: begin one and end it unused.
      const target = await connectedProducer().catch(fail)
      const first = await target.transaction().catch(fail)
      await first.abort().catch(fail)
    },

    async beginTransaction() {
      if (transaction) throw new Error('a Kafka transaction is already open')
      const target = await connectedProducer().catch(fail)
      transaction = await target.transaction().catch(fail)
    },

    async commitTransaction() {
      const open = transaction
      if (!open) throw new Error('no Kafka transaction is open')
      transaction = undefined
      await open.commit().catch(fail)
    },

    async abortTransaction() {
      const open = transaction
      transaction = undefined
      if (open?.isActive()) await open.abort().catch(fail)
    },

    async createCompactedTopic(topic, replicationFactor) {
      try {
        const client = await connectedAdmin()
        await client.createTopics({
          waitForLeaders: true,
          topics: [
            {
              topic,
              numPartitions: 1,
              ...(replicationFactor ? { replicationFactor } : {}),
              configEntries: checkpointTopicConfig,
            },
          ],
        })
      } catch (error) {
        if (errorTypes(error).includes('TOPIC_ALREADY_EXISTS')) return
        fail(error)
      }
    },

    async readLatestCommitted(topic, key) {
      try {
        return await readLatestCommitted(kafka, await connectedAdmin(), topic, key, 60_000)
      } catch (error) {
        return fail(error)
      }
    },

    async createTopics(topics, topicSettings: TopicSettings) {
      try {
        const client = await connectedAdmin()
        await client.createTopics({
          waitForLeaders: true,
          topics: topics.map((topic) => ({
            topic,
            numPartitions: topicSettings.partitions,
            replicationFactor: topicSettings.replicationFactor,
          })),
        })
      } catch (error) {
        // Another sink may have created it in between: that is what we wanted.
        if (errorTypes(error).includes('TOPIC_ALREADY_EXISTS')) return
        fail(error)
      }
    },

    async maxMessageBytes(topics) {
      const limits = new Map<string, number>()
      const client = await connectedAdmin().catch(() => undefined)
      if (!client) return limits
      // One topic per request: kafkajs fails the whole request when one topic does not exist.
      await Promise.all(
        topics.map(async (topic) => {
          try {
            const { resources } = await client.describeConfigs({
              includeSynonyms: false,
              resources: [
                { type: ConfigResourceTypes.TOPIC, name: topic, configNames: ['max.message.bytes'] },
              ],
            })
            const value = resources[0]?.configEntries.find(
              (entry) => entry.configName === 'max.message.bytes',
            )
            const bytes = Number(value?.configValue)
            if (Number.isSafeInteger(bytes) && bytes > 0) limits.set(topic, bytes)
          } catch {
            // Unknown for now: the broker's refusal, if it comes, is handled when producing.
          }
        }),
      )
      return limits
    },

    async brokerLimits() {
      let client: Admin
      try {
        client = await connectedAdmin()
      } catch (error) {
        return fail(error)
      }
      try {
        // A BROKER resource is answered by that broker only (kafkajs sends each to its broker), and
        // socket.request.max.bytes is a static setting: ask every broker, keep the smallest.
        const { brokers } = await client.describeCluster()
        const { resources } = await client.describeConfigs({
          includeSynonyms: false,
          resources: brokers.map(({ nodeId }) => ({
            type: ConfigResourceTypes.BROKER,
            name: String(nodeId),
            configNames: ['socket.request.max.bytes'],
          })),
        })
        let smallest: number | undefined
        for (const resource of resources) {
          const entry = resource.configEntries.find(
            ({ configName }) => configName === 'socket.request.max.bytes',
          )
          const bytes = Number(entry?.configValue)
          if (Number.isSafeInteger(bytes) && bytes > 0) smallest = Math.min(smallest ?? bytes, bytes)
        }
        return { maxRequestBytes: smallest }
      } catch (error) {
        // Not allowed to describe brokers: the configured bound (or the default) stands, for good.
        if (errorTypes(error).some((type) => type.endsWith('AUTHORIZATION_FAILED'))) return {}
        return fail(error)
      }
    },

    async missingTopics(topics) {
      try {
        const existing = new Set(await (await connectedAdmin()).listTopics())
        return topics.filter((topic) => !existing.has(topic))
      } catch (error) {
        return fail(error)
      }
    },

    async disconnect() {
      const closing = [producer, admin]
      transaction = undefined
      producer = undefined
      admin = undefined
      await Promise.all(closing.map((client) => client?.disconnect().catch(() => {})))
    },
  }
}

function groupByTopic(records: readonly OutgoingRecord[]): TopicMessages[] {
  const byTopic = new Map<string, TopicMessages>()
  for (const record of records) {
    let entry = byTopic.get(record.topic)
    if (!entry) {
      entry = { topic: record.topic, messages: [] }
      byTopic.set(record.topic, entry)
    }
    // The record itself is the kafkajs message (its extra `topic` field is ignored): no copy per
    // record. Only a record with a fixed partition has a `partition` field.
    entry.messages.push(record as Message)
  }
  return [...byTopic.values()]
}
