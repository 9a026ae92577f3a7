import type { KafkaPorts } from './server-properties.js'

/** How many brokers the local cluster runs: three voters, so one may die and the quorum stands. */
export const clusterSize = 3

/**
 * What makes a node one of a three-voter cluster of combined broker+controller processes, with
 * production's durability settings (replication 3, min.insync 2) and failure detection shortened
 * so a SIGKILLed leader is replaced in seconds rather than the default nine-plus, without which
 * the fault tests would mostly measure waiting.
 */
export function clusterNodeSettings(
  nodeId: number,
  controllerPorts: readonly number[],
  overrides: Record<string, string>,
): Record<string, string> {
  return {
    'node.id': String(nodeId),
    'controller.quorum.voters': controllerPorts
      .map((port, index) => `${index + 1}@127.0.0.1:${port}`)
      .join(','),
    'default.replication.factor': '3',
    'min.insync.replicas': '2',
    'offsets.topic.replication.factor': '3',
    'transaction.state.log.replication.factor': '3',
    'transaction.state.log.min.isr': '2',
    'share.coordinator.state.topic.replication.factor': '3',
    'share.coordinator.state.topic.min.isr': '2',
    // The controller fences a broker that missed heartbeats this long; leaders then move.
    'broker.heartbeat.interval.ms': '500',
    'broker.session.timeout.ms': '3000',
    // A follower that fetched nothing this long leaves the ISR, so acks=all stops waiting for it.
    'replica.lag.time.max.ms': '5000',
    // A restarted broker takes its preferred leaderships back, as in a rolling restart in production.
    'leader.imbalance.check.interval.seconds': '10',
    // Three JVMs share two cores with PostgreSQL and owlpost: few threads each.
    'num.network.threads': '2',
    'num.io.threads': '2',
    'num.replica.fetchers': '1',
    'background.threads': '2',
    ...overrides,
  }
}

/** Each node's listener ports; the controller ports of all nodes make up the quorum. */
export type ClusterPorts = KafkaPorts
