import { type PgoutputMessage, postgresTimeToDate } from '@factlib/wal'
import type { FactTransaction, RelayFact } from './fact-transaction.js'
import type { Position } from './position.js'

/**
 * - `part`: facts to hand over before their commit is known (a full chunk of a large
 *   transaction, or a fact emitted outside any transaction), tagged by the position's chunk rule.
 * - `commit`: a transaction's end. `transaction` holds its facts not handed yet (none when it had
 *   none left, or when `replay` says it was handed in full before a reconnect).
 */
export type AssemblerOutput =
  | { tag: 'part'; transaction: FactTransaction }
  | {
      tag: 'commit'
      commitLsn: bigint
      endLsn: bigint
      replay: boolean
      transaction: FactTransaction | undefined
    }

export const nonTransactionalReason =
  'non-transactional logical message: emitted with pg_logical_emit_message(false, …), it escapes rollbacks; factlib producers always emit transactional messages'

/**
 * Turns the pgoutput stream into what handlers receive: the prefixes' facts grouped per
 * transaction. A transaction larger than `maxChunkFacts` goes out in parts before its commit
 * arrives, so memory stays bounded. Which LSN a part carries and which transactions are replays is
 * the Position's to say: this class only groups.
 */
export class TransactionAssembler {
  private open: { commitLsn: bigint; commitTime: Date; facts: RelayFact[]; replay: boolean } | undefined

  constructor(
    private readonly prefixes: ReadonlySet<string>,
    private readonly position: Position,
    private readonly maxChunkFacts = 1_000,
  ) {}

  /** Forget a half-read transaction after the replication connection dropped. */
  resetConnection(): void {
    this.open = undefined
  }

  accept(message: PgoutputMessage): AssemblerOutput | undefined {
    switch (message.tag) {
      case 'begin':
        this.open = {
          commitLsn: message.finalLsn,
          commitTime: postgresTimeToDate(message.commitTime),
          facts: [],
          replay: !this.position.begin(message.finalLsn),
        }
        return undefined
      case 'message':
        return this.acceptMessage(message)
      case 'commit':
        return this.acceptCommit(message.commitLsn, message.endLsn, postgresTimeToDate(message.commitTime))
      default:
        // Row changes, relations and types (a publication FOR ALL TABLES sends them): not facts.
        return undefined
    }
  }

  private acceptMessage(message: Extract<PgoutputMessage, { tag: 'message' }>): AssemblerOutput | undefined {
    if (!this.prefixes.has(message.prefix) || !this.position.handsFact(message.lsn)) return undefined
    // A copy: the decoder hands out views into socket chunks, and a small view held in flight
    // would pin the whole chunk. Buffer.from copies small values into Node's shared pool rather
    // than allocating an ArrayBuffer per fact.
    const fact: RelayFact = { prefix: message.prefix, lsn: message.lsn, value: Buffer.from(message.content) }
    if (!message.transactional || !this.open) {
      fact.deadLetterReason = nonTransactionalReason
      return {
        tag: 'part',
        transaction: { endLsn: this.position.unitLsn(), complete: false, facts: [fact] },
      }
    }
    const open = this.open
    if (open.replay) return undefined
    if (open.facts.length < this.maxChunkFacts) {
      open.facts.push(fact)
      return undefined
    }
    const part: FactTransaction = {
      endLsn: this.position.unitLsn(),
      complete: false,
      commitLsn: open.commitLsn,
      commitTime: open.commitTime,
      facts: open.facts,
    }
    open.facts = [fact]
    return { tag: 'part', transaction: part }
  }

  private acceptCommit(commitLsn: bigint, endLsn: bigint, commitTime: Date): AssemblerOutput {
    const open = this.open
    this.open = undefined
    const replay = open?.replay ?? false
    const facts = open && !replay ? open.facts : []
    return {
      tag: 'commit',
      commitLsn,
      endLsn,
      replay,
      transaction: facts.length > 0 ? { endLsn, complete: true, commitLsn, commitTime, facts } : undefined,
    }
  }
}
