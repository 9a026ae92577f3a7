import type { SinkFact, SinkTransaction } from '@factlib/kafka-sink'
import { type PgoutputMessage, postgresTimeToDate } from '@factlib/wal'

export type AssemblerOutput =
  | { kind: 'transaction'; transaction: SinkTransaction }
  /** A committed transaction with none of our facts: its end may be confirmed once nothing is in flight. */
  | { kind: 'empty-commit'; endLsn: bigint }

/** What most messages produce; shared, so a message costs no array. */
const nothing: readonly AssemblerOutput[] = Object.freeze([])

export const nonTransactionalReason =
  'non-transactional logical message: emitted with pg_logical_emit_message(false, …), it escapes rollbacks; factlib producers always emit transactional messages'

/**
 * Turns the pgoutput stream into the units the sink delivers: our prefixes' facts grouped
 * per transaction and tagged with the commit's end LSN.
 *
 * A transaction larger than `maxChunkFacts` goes out in chunks before its commit arrives, so
 * memory stays bounded; a chunk carries the previous transaction's end LSN, so delivering it
 * never lets the confirmed position move into the middle of the transaction.
 *
 * After a reconnect PostgreSQL replays from the confirmed position; transactions already
 * handed to the sink in full (their commit LSN at or before `lastHandedCommitLsn`) are
 * skipped, because the sink still holds them and retries until Kafka acknowledges.
 */
export class TransactionAssembler {
  private open: { commitLsn: bigint; commitTime: Date; facts: SinkFact[]; skip: boolean } | undefined
  private lastEndLsn = 0n
  private lastHandedCommitLsn = -1n

  constructor(
    private readonly prefixes: ReadonlySet<string>,
    private readonly maxChunkFacts = 1_000,
  ) {}

  /** True between a Begin and its Commit: the stream position is inside a transaction. */
  get inTransaction(): boolean {
    return this.open !== undefined
  }

  /** Forget a half-read transaction after the replication connection dropped. */
  resetConnection(): void {
    this.open = undefined
  }

  accept(message: PgoutputMessage): readonly AssemblerOutput[] {
    switch (message.tag) {
      case 'begin':
        this.open = {
          commitLsn: message.finalLsn,
          commitTime: postgresTimeToDate(message.commitTime),
          facts: [],
          skip: message.finalLsn <= this.lastHandedCommitLsn,
        }
        return nothing
      case 'message':
        return this.acceptMessage(message)
      case 'commit':
        return this.acceptCommit(message.commitLsn, message.endLsn, postgresTimeToDate(message.commitTime))
      default:
        // Row changes, relations and types: the publication has no tables, and if it had
        // some, they are not facts.
        return nothing
    }
  }

  private acceptMessage(message: Extract<PgoutputMessage, { tag: 'message' }>): readonly AssemblerOutput[] {
    if (!this.prefixes.has(message.prefix)) return nothing
    // A copy: the decoder hands out views into socket chunks, and a small view held in flight
    // would pin the whole chunk. Buffer.from copies small values into Node's shared pool rather
    // than allocating an ArrayBuffer per fact, and kafkajs takes a Buffer as it is.
    const fact: SinkFact = { prefix: message.prefix, lsn: message.lsn, value: Buffer.from(message.content) }
    if (!message.transactional || !this.open) {
      return [
        {
          kind: 'transaction',
          transaction: {
            endLsn: this.lastEndLsn,
            facts: [{ ...fact, deadLetterReason: nonTransactionalReason }],
          },
        },
      ]
    }
    if (this.open.skip) return nothing
    if (this.open.facts.length < this.maxChunkFacts) {
      this.open.facts.push(fact)
      return nothing
    }
    const chunk: AssemblerOutput = {
      kind: 'transaction',
      transaction: { endLsn: this.lastEndLsn, commitTime: this.open.commitTime, facts: this.open.facts },
    }
    this.open.facts = [fact]
    return [chunk]
  }

  private acceptCommit(commitLsn: bigint, endLsn: bigint, commitTime: Date): readonly AssemblerOutput[] {
    const open = this.open
    this.open = undefined
    if (open?.skip) return nothing
    this.lastEndLsn = endLsn
    this.lastHandedCommitLsn = commitLsn
    if (!open || open.facts.length === 0) return [{ kind: 'empty-commit', endLsn }]
    return [{ kind: 'transaction', transaction: { endLsn, commitTime, facts: open.facts } }]
  }
}
