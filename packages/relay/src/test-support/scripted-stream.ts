import type { PgoutputMessage, ReplicationEvent } from '@factlib/wal'
import type { DispatchedStream } from '../dispatcher.js'

/** A fact of the scripted WAL; its value is its id, so a handler can tell which fact it got. */
export interface WalFact {
  id: number
  lsn: bigint
  prefix: string
}

export type WalItem =
  | { tag: 'transaction'; commitLsn: bigint; endLsn: bigint; facts: WalFact[] }
  | { tag: 'outside'; fact: WalFact }

/** Where an item ends: the LSN the slot may be confirmed at once it is done with. */
export const endOf = (item: WalItem): bigint => (item.tag === 'transaction' ? item.endLsn : item.fact.lsn)

export const factsOf = (item: WalItem): WalFact[] => (item.tag === 'transaction' ? item.facts : [item.fact])

/** Transactions (with facts of the given prefixes) and facts outside any, at increasing LSNs. */
export function buildWal(shapes: Array<{ outside: boolean; prefixes: string[] }>): WalItem[] {
  let cursor = 0x100n
  let id = 0
  return shapes.map((shape): WalItem => {
    if (shape.outside && shape.prefixes.length > 0) {
      cursor += 0x10n
      return { tag: 'outside', fact: { id: id++, lsn: cursor, prefix: shape.prefixes[0]! } }
    }
    const facts = shape.prefixes.map((prefix) => {
      cursor += 0x10n
      return { id: id++, lsn: cursor, prefix }
    })
    cursor += 0x10n
    const commitLsn = cursor
    cursor += 0x8n
    return { tag: 'transaction', commitLsn, endLsn: cursor, facts }
  })
}

const data = (message: PgoutputMessage, lsn: bigint): ReplicationEvent => ({
  tag: 'data',
  walStart: lsn,
  walEnd: lsn,
  serverTime: 0n,
  message,
})

const factMessage = (fact: WalFact, transactional: boolean): PgoutputMessage => ({
  tag: 'message',
  transactional,
  lsn: fact.lsn,
  prefix: fact.prefix,
  content: new TextEncoder().encode(String(fact.id)),
})

/** The id a scripted fact carries as its value. */
export const factId = (value: Uint8Array): number => Number(new TextDecoder().decode(value))

/**
 * A replication stream that sends the scripted WAL from a position on (as PostgreSQL resends
 * from the slot's confirmed position), only as far as the test lets it arrive, and can break.
 */
export class ScriptedStream implements DispatchedStream {
  readonly #events: ReplicationEvent[] = []
  /** Per event, the end of the item it belongs to: what a keepalive sent after it may carry. */
  readonly #ends: bigint[] = []
  #arrived = 0
  #read = 0
  #waiter:
    | { resolve: (result: IteratorResult<ReplicationEvent>) => void; reject: (error: Error) => void }
    | undefined
  #broken: Error | undefined
  acknowledged = 0n

  constructor(
    wal: WalItem[],
    readonly from: bigint,
  ) {
    for (const item of wal) {
      if (endOf(item) <= from) continue
      const end = endOf(item)
      const push = (event: ReplicationEvent) => {
        this.#events.push(event)
        this.#ends.push(end)
      }
      if (item.tag === 'outside') {
        push(data(factMessage(item.fact, false), item.fact.lsn))
        continue
      }
      push(data({ tag: 'begin', finalLsn: item.commitLsn, commitTime: 0n, xid: 1 }, item.commitLsn))
      for (const fact of item.facts) push(data(factMessage(fact, true), fact.lsn))
      push(
        data(
          { tag: 'commit', flags: 0, commitLsn: item.commitLsn, endLsn: item.endLsn, commitTime: 0n },
          item.endLsn,
        ),
      )
    }
  }

  /** Everything scripted has arrived and been read. */
  get exhausted(): boolean {
    return this.#read === this.#events.length
  }

  /** The server sends `count` more events. */
  arrive(count: number): void {
    this.#arrived = Math.min(this.#events.length, this.#arrived + count)
    this.#wake()
  }

  /**
   * The server sends a keepalive: its WAL end lies past everything sent, at the end of the item
   * being sent (pgoutput sends a transaction once its commit is read), so it may lie past the
   * commit of a transaction half sent.
   */
  keepalive(walEnd?: bigint): void {
    const end = walEnd ?? (this.#arrived > 0 ? this.#ends[this.#arrived - 1]! : this.from)
    this.#events.splice(this.#arrived, 0, {
      tag: 'keepalive',
      walEnd: end,
      serverTime: 0n,
      replyRequested: false,
    })
    this.#ends.splice(this.#arrived, 0, end)
    this.#arrived++
    this.#wake()
  }

  /** The connection breaks. */
  break(): void {
    this.#broken = new Error('connection lost')
    this.#waiter?.reject(this.#broken)
    this.#waiter = undefined
  }

  acknowledge(lsn: bigint): void {
    if (lsn > this.acknowledged) this.acknowledged = lsn
  }

  read(): ReplicationEvent | undefined {
    if (this.#broken || this.#read >= this.#arrived) return undefined
    return this.#events[this.#read++]
  }

  [Symbol.asyncIterator](): AsyncIterator<ReplicationEvent> {
    return {
      next: () =>
        new Promise((resolve, reject) => {
          if (this.#broken) return reject(this.#broken)
          this.#waiter = { resolve, reject }
          this.#wake()
        }),
    }
  }

  #wake(): void {
    const waiter = this.#waiter
    if (!waiter || this.#read >= this.#arrived) return
    this.#waiter = undefined
    waiter.resolve({ value: this.#events[this.#read++]!, done: false })
  }
}

/** Lets every promise that can settle now settle. */
export const settle = () => new Promise<void>((resolve) => setImmediate(resolve))
