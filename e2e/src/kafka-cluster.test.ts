import { topicFor } from '@factlib/core'
import { type KafkaClusterService, startKafkaCluster, waitFor } from '@factlib/testing'
import { Kafka, logLevel } from 'kafkajs'
import { afterAll, afterEach, beforeAll, describe, expect, it, onTestFailed } from 'vitest'
import { type FactStream, type StreamVerdict, startFactStream, verifyStream } from './support/fact-stream.js'
import { type OwlpostProcess, startOwlpost } from './support/owlpost-process.js'
import { createScenario } from './support/scenario.js'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * owlpost against a three-node cluster (replication 3, min.insync.replicas 2) while brokers die:
 * the leader of the busiest partition, two of three, the active controller, and each in turn.
 */
describe('owlpost on a three-broker Kafka cluster', () => {
  let cluster: KafkaClusterService
  let owlpost: OwlpostProcess | undefined
  let stream: FactStream | undefined
  let world: Awaited<ReturnType<typeof createScenario>> | undefined

  beforeAll(async () => {
    cluster = await startKafkaCluster()
  }, 180_000)
  afterEach(async () => {
    // A failed test must not leave the next one a crippled cluster, nor owlpost draining into it;
    // owlpost and the writers stop first, so that a slow broker start cannot keep them running.
    await stream?.stop().catch(() => {})
    try {
      await owlpost?.stop()
    } finally {
      await world?.sql.end()
      await Promise.all(cluster.nodes.filter((node) => !node.running).map((node) => node.start()))
    }
  }, 180_000)
  afterAll(() => cluster?.dispose())

  /** A scenario on the cluster, owlpost running on it, facts streaming. */
  const begin = async (label: string) => {
    world = await createScenario(label)
    owlpost = await startOwlpost({
      ...world.owlpostEnv,
      KAFKA_BROKERS: cluster.brokers.join(','),
      KAFKA_TOPIC_PARTITIONS: '3',
      KAFKA_TOPIC_REPLICATION_FACTOR: '3',
      RECONNECT_MAX_BACKOFF_MS: '2000',
    })
    await owlpost.ready()
    const process = owlpost
    // What owlpost said is the first thing to read when facts go missing.
    onTestFailed(() => {
      const notable = process.output.filter((line) => !/"level":"(info|debug|trace)"/.test(line))
      console.error(`owlpost warnings and errors:\n${notable.slice(-60).join('\n')}`)
    })
    stream = startFactStream(world.sql, world.producer, { ratePerSecond: 400 })
    const topic = topicFor(world.prefix, 'item')
    await waitFor('the item topic', async () => (await partitionCount(cluster.brokers, topic)) === 3, 30_000)
    return { world, topic }
  }

  const finish = async (): Promise<StreamVerdict> => {
    await stream!.stop()
    return verifyStream(cluster.brokers, world!.prefix, stream!.emitted)
  }

  const expectDeliveredInOrder = (verdict: StreamVerdict) => {
    expect(verdict.emitted).toBeGreaterThan(500)
    expect(verdict.lost).toEqual([])
    expect(verdict.reordered).toEqual([])
    expect(verdict.deadLettered).toBe(0)
  }

  it('SIGKILL of the leader of the busiest partition mid-stream loses and reorders nothing', async () => {
    const { topic } = await begin('cluster_leader')
    await sleep(2_000)
    const { partition, leader } = await busiestPartition(cluster, topic)
    await cluster.node(leader).kill()
    await waitFor('a new leader', async () => (await cluster.leaderOf(topic, partition)) !== leader, 30_000)
    await sleep(1_000)
    await cluster.node(leader).start()
    const verdict = await finish()
    expectDeliveredInOrder(verdict)
  })

  it('two of three brokers down: owlpost stays alive, waits, dead-letters nothing, then catches up', async () => {
    await begin('cluster_minisr')
    await sleep(2_000)
    const [survivor, ...victims] = cluster.nodes
    await Promise.all(victims.map((node) => node.kill()))
    // No write can reach two in-sync replicas (and the quorum is gone with its majority): owlpost
    // must stay live and wait, neither exiting nor giving facts up to the dead-letter topic.
    await sleep(4_000)
    const deliveredWhenStalled = await metricTotal(owlpost!, 'owlpost_facts_delivered_total')
    const stalledSince = Date.now()
    while (Date.now() - stalledSince < 6_000) {
      const health = await fetch(`http://127.0.0.1:${owlpost!.healthPort}/health`)
      expect(health.status).toBe(200)
      await sleep(500)
    }
    expect(await metricTotal(owlpost!, 'owlpost_facts_delivered_total')).toBe(deliveredWhenStalled)
    expect(stream!.emitted.length).toBeGreaterThan(deliveredWhenStalled)
    expect(await metricTotal(owlpost!, 'owlpost_facts_dead_lettered_total')).toBe(0)
    expect(survivor!.running).toBe(true)
    await Promise.all(victims.map((node) => node.start()))
    await owlpost!.ready(60_000)
    const verdict = await finish()
    expectDeliveredInOrder(verdict)
    expect(await metricTotal(owlpost!, 'owlpost_facts_dead_lettered_total')).toBe(0)
  })

  it('SIGKILL of the active controller mid-stream loses and reorders nothing', async () => {
    await begin('cluster_controller')
    await sleep(2_000)
    const controller = await cluster.activeController()
    await cluster.node(controller).kill()
    await waitFor(
      'a new active controller',
      async () => (await cluster.activeController()) !== controller,
      30_000,
    )
    await sleep(1_000)
    await cluster.node(controller).start()
    const verdict = await finish()
    expectDeliveredInOrder(verdict)
  })

  it('a rolling restart of all three brokers loses and reorders nothing', async () => {
    await begin('cluster_rolling')
    for (const node of cluster.nodes) {
      await sleep(1_000)
      await node.stop('fast')
      await sleep(1_000)
      await node.start()
    }
    const verdict = await finish()
    expectDeliveredInOrder(verdict)
  })
})

async function partitionCount(brokers: string[], topic: string): Promise<number> {
  const admin = new Kafka({ brokers, logLevel: logLevel.NOTHING }).admin()
  await admin.connect()
  try {
    const { topics } = await admin.fetchTopicMetadata({ topics: [topic] })
    return topics[0]?.partitions.length ?? 0
  } finally {
    await admin.disconnect()
  }
}

/** The leader of the partition holding the most records so far: where killing hurts most. */
async function busiestPartition(
  cluster: KafkaClusterService,
  topic: string,
): Promise<{ partition: number; leader: number }> {
  const admin = new Kafka({ brokers: cluster.brokers, logLevel: logLevel.NOTHING }).admin()
  await admin.connect()
  try {
    const offsets = await admin.fetchTopicOffsets(topic)
    const busiest = offsets.reduce((best, entry) => (BigInt(entry.high) > BigInt(best.high) ? entry : best))
    const leader = await cluster.leaderOf(topic, busiest.partition)
    if (leader === undefined) throw new Error(`partition ${busiest.partition} of '${topic}' has no leader`)
    return { partition: busiest.partition, leader }
  } finally {
    await admin.disconnect()
  }
}

/** A counter summed over its labels, from owlpost's /metrics. */
async function metricTotal(owlpost: OwlpostProcess, name: string): Promise<number> {
  const metrics = await owlpost.metrics()
  return metrics
    .split('\n')
    .filter((line) => line.startsWith(name))
    .reduce((sum, line) => sum + Number(line.split(' ').at(-1)), 0)
}
