/** Identifies one registered transaction; issued in registration (WAL) order. */
export type TransactionTicket = number

interface TrackedTransaction {
  readonly endLsn: bigint
  /** One flag per fact: a fact settles once, however often the broker repeats its answer. */
  readonly settled: Uint8Array
  remaining: number
}

/**
 * Works out how far delivery has got. Transactions are registered in WAL order; their facts settle
 * (acknowledged by Kafka, or dead-lettered) in any order. The delivered LSN is the end LSN of the
 * newest transaction such that it and every earlier one have fully settled, so it never covers a
 * fact that is still unsettled, whatever order the answers come in. Pure: no I/O, no timers.
 */
export class DeliveryTracker {
  #delivered: bigint
  #lastRegisteredLsn: bigint
  #unsettled = 0
  /**
   * Transactions in registration order from `#start` on are not yet delivered; entries before it
   * are dead and dropped in bulk now and then, so advancing stays O(1) per transaction.
   */
  #pending: TrackedTransaction[] = []
  #start = 0
  /** Ticket of `#pending[0]`. */
  #base = 0

  constructor(initialLsn = 0n) {
    this.#delivered = initialLsn
    this.#lastRegisteredLsn = initialLsn
  }

  /** End LSN of the newest transaction that, with all earlier ones, has fully settled. */
  get deliveredLsn(): bigint {
    return this.#delivered
  }

  /** Facts registered and not yet settled. */
  get unsettledFacts(): number {
    return this.#unsettled
  }

  /** Transactions registered and not yet covered by the delivered LSN. */
  get pendingTransactions(): number {
    return this.#pending.length - this.#start
  }

  /** End LSN of the last registered transaction: the next one may not end before it. */
  get lastRegisteredLsn(): bigint {
    return this.#lastRegisteredLsn
  }

  /**
   * Registers a transaction of `factCount` facts. Returns its ticket; a transaction without facts
   * counts as settled at once (it still waits for every earlier one).
   */
  register(endLsn: bigint, factCount: number): TransactionTicket {
    if (endLsn < this.#lastRegisteredLsn) {
      throw new RangeError(
        `transaction end LSN ${endLsn} is before the previous one (${this.#lastRegisteredLsn}); ` +
          'transactions must arrive in WAL order',
      )
    }
    if (!Number.isInteger(factCount) || factCount < 0) {
      throw new RangeError(`fact count must be a non-negative integer, got ${factCount}`)
    }
    this.#lastRegisteredLsn = endLsn
    const ticket = this.#base + this.#pending.length
    this.#pending.push({ endLsn, settled: new Uint8Array(factCount), remaining: factCount })
    this.#unsettled += factCount
    this.#advance()
    return ticket
  }

  /**
   * Marks fact `index` of the transaction `ticket` settled. Returns true when this call moved the
   * delivered LSN forward. Settling a fact twice, or one of a delivered transaction, changes nothing.
   */
  settle(ticket: TransactionTicket, index: number): boolean {
    const position = ticket - this.#base
    if (position < this.#start) return false
    const transaction = this.#pending[position]
    if (!transaction) throw new RangeError(`no transaction was registered with ticket ${ticket}`)
    if (!Number.isInteger(index) || index < 0 || index >= transaction.settled.length) {
      throw new RangeError(`transaction ${ticket} has no fact ${index}`)
    }
    if (transaction.settled[index] === 1) return false
    transaction.settled[index] = 1
    transaction.remaining -= 1
    this.#unsettled -= 1
    return position === this.#start && this.#advance()
  }

  #advance(): boolean {
    let newest: TrackedTransaction | undefined
    while (this.#start < this.#pending.length) {
      const transaction = this.#pending[this.#start]!
      if (transaction.remaining > 0) break
      newest = transaction
      this.#start += 1
    }
    if (this.#start > 1024 && this.#start * 2 > this.#pending.length) {
      this.#pending = this.#pending.slice(this.#start)
      this.#base += this.#start
      this.#start = 0
    }
    if (!newest || newest.endLsn <= this.#delivered) return false
    this.#delivered = newest.endLsn
    return true
  }
}
