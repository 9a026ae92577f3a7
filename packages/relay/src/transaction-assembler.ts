import { formatLsn, type OversizedMessage, type PgoutputMessage, postgresTimeToDate } from '@factlib/wal'
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

/** Why a message over the reader's cap is dead-lettered without its content. */
export function oversizedReason(contentLength: number, maxMessageBytes: number, lsn: bigint): string {
  return (
    `message too large: its content of ${contentLength} bytes at ${formatLsn(lsn)} makes a WAL message ` +
    `over maxMessageBytes (${maxMessageBytes}; MAX_MESSAGE_BYTES in owlpost), so it was read past, never held; ` +
    'the record carries its size, SHA-256 and first bytes instead'
  )
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
        if (!this.prefixes.has(message.prefix) || !this.position.handsFact(message.lsn)) return undefined
        // A copy: the decoder hands out views into socket chunks, and a small view held in flight
        // would pin the whole chunk. Buffer.from copies small values into Node's shared pool rather
        // than allocating an ArrayBuffer per fact.
        return this.acceptFact(
          { prefix: message.prefix, lsn: message.lsn, value: Buffer.from(message.content) },
          message.transactional,
        )
      case 'oversized':
        return this.acceptOversized(message)
      case 'commit':
        return this.acceptCommit(message.commitLsn, message.endLsn, postgresTimeToDate(message.commitTime))
      default:
        // Row changes, relations and types (a publication FOR ALL TABLES sends them): not facts.
        return undefined
    }
  }

  /**
   * A logical message too large to hold: the reader went past its body, so it becomes a fact
   * without a value that says what was left out, dead-lettered in its place in the transaction.
   * Row changes over the cap are not facts and are ignored like any row change.
   */
  private acceptOversized(message: OversizedMessage): AssemblerOutput | undefined {
    const logical = message.logical
    if (!logical || logical.prefix === undefined || !this.prefixes.has(logical.prefix)) return undefined
    if (!this.position.handsFact(logical.lsn)) return undefined
    const fact: RelayFact = {
      prefix: logical.prefix,
      lsn: logical.lsn,
      value: new Uint8Array(0),
      deadLetterReason: oversizedReason(logical.contentLength, message.maxMessageBytes, logical.lsn),
      omitted: {
        byteLength: logical.contentLength,
        sha256: logical.contentSha256,
        head: logical.contentHead,
      },
    }
    return this.acceptFact(fact, logical.transactional)
  }

  private acceptFact(fact: RelayFact, transactional: boolean): AssemblerOutput | undefined {
    if (!transactional || !this.open) {
      // Both reasons when an oversized message was also emitted outside a transaction.
      fact.deadLetterReason =
        fact.deadLetterReason === undefined
          ? nonTransactionalReason
          : `${fact.deadLetterReason}; and it is a ${nonTransactionalReason}`
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
