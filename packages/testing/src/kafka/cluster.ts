import type { ControllableService, KafkaService } from '../services.js'
import type { ClusterRoles } from './cluster-roles.js'

/** One broker+controller process of a cluster, controllable on its own. */
export interface KafkaNode extends Pick<ControllableService, 'start' | 'stop' | 'kill'> {
  /** Its node.id (1, 2, 3), as brokers, leaders and coordinators are named in metadata. */
  readonly id: number
  /** Its PLAINTEXT address. */
  readonly broker: string
  /** False after kill() or stop() until start(). */
  readonly running: boolean
}

/**
 * A three-node KRaft cluster: `brokers` lists all three as bootstrap servers; stop/start/kill on
 * the cluster act on every node, `node(id)` on one. Topics default to replication 3 and
 * min.insync.replicas 2, as in production.
 */
export interface KafkaClusterService extends KafkaService, ClusterRoles {
  readonly nodes: readonly KafkaNode[]
  /** The node with this node.id; throws for an id the cluster does not have. */
  node(id: number): KafkaNode
  /** The node id of the active KRaft controller (the metadata quorum's leader). */
  activeController(): Promise<number>
}
