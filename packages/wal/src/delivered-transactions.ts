import type { PgoutputMessage } from './pgoutput-messages.js'

/**
 * What a replication stream has handed to its consumer: whether a transaction (plain or streamed)
 * is open, and the furthest position delivered. An idle slot may be acknowledged up to a
 * keepalive's WAL end only when nothing delivered is still unacknowledged (acknowledgeIdle).
 */
export class DeliveredTransactions {
  private openTransaction = false
  private readonly openStreamedTransactions = new Set<number>()
  private position = 0n

  /** No transaction open, and everything delivered is at or before `acknowledged`. */
  allCoveredBy(acknowledged: bigint): boolean {
    return !this.openTransaction && this.openStreamedTransactions.size === 0 && this.position <= acknowledged
  }

  /** Notes a message as it goes to the consumer. */
  track(message: PgoutputMessage): void {
    switch (message.tag) {
      case 'begin':
      case 'begin_prepare':
        this.openTransaction = true
        break
      case 'commit':
      case 'prepare':
      case 'commit_prepared':
        this.openTransaction = false
        this.deliver(message.endLsn)
        break
      case 'rollback_prepared':
        this.openTransaction = false
        this.deliver(message.rollbackEndLsn)
        break
      case 'stream_start':
        this.openStreamedTransactions.add(message.xid)
        break
      case 'stream_commit':
      case 'stream_prepare':
        this.openStreamedTransactions.delete(message.xid)
        this.deliver(message.endLsn)
        break
      case 'stream_abort':
        if (message.xid === message.subXid) this.openStreamedTransactions.delete(message.xid)
        break
      case 'message':
        if (!message.transactional) this.deliver(message.lsn)
        break
      case 'oversized':
        // Not a transaction boundary. A non-transactional logical message still moves the
        // position, as a whole one does, so acknowledgeIdle() waits for it to be acknowledged.
        if (message.logical && !message.logical.transactional) this.deliver(message.logical.lsn)
        break
      default:
        break
    }
  }

  private deliver(position: bigint): void {
    if (position > this.position) this.position = position
  }
}
