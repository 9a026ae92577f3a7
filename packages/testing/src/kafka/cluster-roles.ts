import { Kafka, logLevel } from 'kafkajs'
import { waitFor } from '../wait.js'

/** Who currently does what in a cluster; every answer is a node id. */
export interface ClusterRoles {
  /** The leader of a topic partition, or undefined while it has none (all replicas down). */
  leaderOf(topic: string, partition: number): Promise<number | undefined>
  /** The broker coordinating a consumer group (where its offsets are committed). */
  groupCoordinatorOf(groupId: string): Promise<number>
  /** The broker coordinating a transactional id (the transaction state log's leader for it). */
  transactionCoordinatorOf(transactionalId: string): Promise<number>
}

const coordinatorTypes = { group: 0, transaction: 1 } as const
const coordinatorWaitMs = 60_000

interface InternalCluster {
  connect(): Promise<void>
  disconnect(): Promise<void>
  refreshMetadata(): Promise<void>
  findGroupCoordinatorMetadata(args: {
    groupId: string
    coordinatorType: number
  }): Promise<{ coordinator: { nodeId: number } }>
}

/**
 * Asks the brokers in `brokers()` (the ones up now) through kafkajs. FindCoordinator is not on
 * kafkajs's public admin, so coordinators go through the Cluster object kafkajs builds for its
 * own clients (created by a function kept under a private symbol).
 */
export function clusterRoles(brokers: () => string[]): ClusterRoles {
  const client = () =>
    new Kafka({
      brokers: brokers(),
      logLevel: logLevel.NOTHING,
      connectionTimeout: 2000,
      retry: { retries: 2 },
    })

  // The first FindCoordinator of a fresh cluster makes it create __consumer_offsets (50 partitions,
  // three replicas) or __transaction_state; until their leaders are elected every broker answers
  // COORDINATOR_NOT_AVAILABLE, which can outlast kafkajs's few retries on a busy machine.
  const findCoordinator = async (key: string, type: keyof typeof coordinatorTypes): Promise<number> => {
    let nodeId = -1
    await waitFor(
      `the ${type} coordinator for '${key}'`,
      async () => {
        nodeId = await askForCoordinator(key, type)
        return true
      },
      coordinatorWaitMs,
    )
    return nodeId
  }

  const askForCoordinator = async (key: string, type: keyof typeof coordinatorTypes): Promise<number> => {
    const kafka = client()
    const create = Object.getOwnPropertySymbols(kafka).find(
      (symbol) => symbol.description === 'private:Kafka:createCluster',
    )
    if (!create) throw new Error('kafkajs has no private:Kafka:createCluster; its internals changed')
    const cluster = (kafka as unknown as Record<symbol, (options: object) => InternalCluster>)[create]!({})
    await cluster.connect()
    try {
      // connect() reaches one seed broker; the pool learns the others from metadata.
      await cluster.refreshMetadata()
      const { coordinator } = await cluster.findGroupCoordinatorMetadata({
        groupId: key,
        coordinatorType: coordinatorTypes[type],
      })
      return coordinator.nodeId
    } finally {
      await cluster.disconnect()
    }
  }

  return {
    async leaderOf(topic, partition) {
      const admin = client().admin()
      await admin.connect()
      try {
        const { topics } = await admin.fetchTopicMetadata({ topics: [topic] })
        const metadata = topics[0]?.partitions.find((entry) => entry.partitionId === partition)
        if (!metadata) throw new Error(`topic '${topic}' has no partition ${partition}`)
        return metadata.leader >= 0 ? metadata.leader : undefined
      } finally {
        await admin.disconnect()
      }
    },
    groupCoordinatorOf: (groupId) => findCoordinator(groupId, 'group'),
    transactionCoordinatorOf: (transactionalId) => findCoordinator(transactionalId, 'transaction'),
  }
}
