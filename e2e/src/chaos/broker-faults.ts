import { setTimeout as sleep } from 'node:timers/promises'
import type { KafkaClusterService } from '@factlib/testing'
import { Kafka, logLevel } from 'kafkajs'

/**
 * Faults of one broker of a three-node cluster, each ending with the broker back:
 * - kill-broker: SIGKILL a node drawn at random (perhaps the active controller, a coordinator);
 * - kill-busiest-leader: SIGKILL the leader of the partition owlpost has written most to;
 * - restart-broker: graceful stop and start of a random node, as in a rolling restart.
 */
export type BrokerFaultKind = 'kill-broker' | 'kill-busiest-leader' | 'restart-broker'

export const brokerFaultKinds: readonly BrokerFaultKind[] = [
  'kill-broker',
  'kill-busiest-leader',
  'restart-broker',
]

export function isBrokerFault(fault: string): fault is BrokerFaultKind {
  return (brokerFaultKinds as readonly string[]).includes(fault)
}

export interface BrokerFaultResult {
  /** The node that went down. */
  nodeId: number
  killed: boolean
  description: string
}

/** Takes one broker down for `downMs`, then starts it and waits until it is registered again. */
export async function injectBrokerFault(
  fault: BrokerFaultKind,
  cluster: KafkaClusterService,
  prefix: string,
  downMs: number,
): Promise<BrokerFaultResult> {
  const begun = Date.now()
  let nodeId = randomNode(cluster)
  let what = `node ${nodeId}`
  if (fault === 'kill-busiest-leader') {
    const busiest = await busiestPartition(cluster, prefix).catch(() => undefined)
    if (busiest) {
      nodeId = busiest.leader
      what = `node ${nodeId}, leader of ${busiest.topic}/${busiest.partition} (${busiest.records} records)`
    }
  }
  const node = cluster.node(nodeId)
  if (fault === 'restart-broker') await node.stop('fast')
  else await node.kill()
  const down = Date.now()
  await sleep(downMs)
  const starting = Date.now()
  await node.start()
  const verb = fault === 'restart-broker' ? 'stopped gracefully' : 'SIGKILLed'
  return {
    nodeId,
    killed: fault !== 'restart-broker',
    description:
      `broker ${what} ${verb} (${down - begun} ms), kept down ${starting - down} ms, ` +
      `registered again after ${Date.now() - starting} ms`,
  }
}

function randomNode(cluster: KafkaClusterService): number {
  const nodes = cluster.nodes.filter((node) => node.running)
  return nodes[Math.floor(Math.random() * nodes.length)]!.id
}

/** Among the prefix's topics, the partition with the highest end offset and its current leader. */
async function busiestPartition(
  cluster: KafkaClusterService,
  prefix: string,
): Promise<{ topic: string; partition: number; records: bigint; leader: number } | undefined> {
  const admin = new Kafka({
    brokers: cluster.brokers,
    logLevel: logLevel.NOTHING,
    clientId: 'chaos-faults',
  }).admin()
  await admin.connect()
  try {
    let best: { topic: string; partition: number; records: bigint } | undefined
    for (const topic of (await admin.listTopics()).filter((name) => name.startsWith(`${prefix}.`))) {
      for (const { partition, high } of await admin.fetchTopicOffsets(topic)) {
        if (!best || BigInt(high) > best.records) best = { topic, partition, records: BigInt(high) }
      }
    }
    if (!best) return undefined
    const leader = await cluster.leaderOf(best.topic, best.partition)
    return leader === undefined ? undefined : { ...best, leader }
  } finally {
    await admin.disconnect()
  }
}
