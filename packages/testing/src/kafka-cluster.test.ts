import { Kafka, logLevel } from 'kafkajs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type KafkaClusterService, startKafkaCluster, uniqueName, waitFor } from './index.js'

describe('three-node Kafka cluster', () => {
  let cluster: KafkaClusterService
  const client = () =>
    new Kafka({ brokers: cluster.brokers, logLevel: logLevel.NOTHING, retry: { retries: 10 } })

  beforeAll(async () => {
    cluster = await startKafkaCluster()
  }, 180_000)
  afterAll(() => cluster?.dispose())

  // Leader moves after a SIGKILL are exercised by e2e/src/kafka-cluster.test.ts, with owlpost writing.
  it('replicates topics three ways with min.insync.replicas 2 by default', async () => {
    const topic = uniqueName('cluster_smoke')
    const admin = client().admin()
    await admin.connect()
    try {
      await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true })
      const { topics } = await admin.fetchTopicMetadata({ topics: [topic] })
      expect(topics[0]!.partitions[0]!.replicas.sort()).toEqual([1, 2, 3])
      const { resources } = await admin.describeConfigs({
        includeSynonyms: false,
        resources: [{ type: 2, name: topic, configNames: ['min.insync.replicas'] }],
      })
      expect(resources[0]!.configEntries[0]!.configValue).toBe('2')
    } finally {
      await admin.disconnect()
    }
  }, 120_000)

  it('names the group and transaction coordinators and the active controller among its nodes', async () => {
    const ids = cluster.nodes.map((node) => node.id)
    expect(ids).toEqual([1, 2, 3])
    expect(ids).toContain(await cluster.groupCoordinatorOf(uniqueName('group')))
    expect(ids).toContain(await cluster.transactionCoordinatorOf(uniqueName('txn')))
    const controller = await cluster.activeController()
    expect(ids).toContain(controller)
    await cluster.node(controller).kill()
    expect(cluster.node(controller).running).toBe(false)
    await waitFor(
      'a new active controller',
      async () => (await cluster.activeController()) !== controller,
      30_000,
    )
    await cluster.node(controller).start()
    expect(cluster.node(controller).running).toBe(true)
  }, 240_000)
})
