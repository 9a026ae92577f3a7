interface Waiter {
  facts: number
  bytes: number
  admit: () => void
  refuse: (error: Error) => void
}

/**
 * Bounds the facts and bytes accepted but not yet settled. Admission is first come, first served,
 * so transactions enter in the order they were offered. A transaction larger than the limits on its
 * own is admitted once nothing else is in flight; refusing it would stall the sink for good.
 */
export class InFlightLimit {
  #facts = 0
  #bytes = 0
  readonly #waiters: Waiter[] = []

  constructor(
    readonly maxFacts: number,
    readonly maxBytes: number,
  ) {
    if (!(maxFacts >= 1)) throw new RangeError(`maxInFlightFacts must be at least 1, got ${maxFacts}`)
    if (!(maxBytes >= 1)) throw new RangeError(`maxInFlightBytes must be at least 1, got ${maxBytes}`)
  }

  get facts(): number {
    return this.#facts
  }

  get bytes(): number {
    return this.#bytes
  }

  /** Waiting offers, not yet admitted. */
  get waiting(): number {
    return this.#waiters.length
  }

  /** Resolves once the facts and bytes fit; pends meanwhile (that is the backpressure). */
  acquire(facts: number, bytes: number): Promise<void> {
    if (this.#waiters.length === 0 && this.#fits(facts, bytes)) {
      this.#take(facts, bytes)
      return Promise.resolve()
    }
    return new Promise((admit, refuse) => {
      this.#waiters.push({ facts, bytes, admit, refuse })
    })
  }

  /** Gives back what settled and admits waiting offers in order while they fit. */
  release(facts: number, bytes: number): void {
    this.#facts -= facts
    this.#bytes -= bytes
    while (this.#waiters.length > 0) {
      const next = this.#waiters[0]!
      if (!this.#fits(next.facts, next.bytes)) break
      this.#waiters.shift()
      this.#take(next.facts, next.bytes)
      next.admit()
    }
  }

  /** Refuses every waiting offer (the sink closed or halted). */
  refuseAll(error: Error): void {
    for (const waiter of this.#waiters.splice(0)) waiter.refuse(error)
  }

  #fits(facts: number, bytes: number): boolean {
    if (this.#facts === 0 && this.#bytes === 0) return true
    return this.#facts + facts <= this.maxFacts && this.#bytes + bytes <= this.maxBytes
  }

  #take(facts: number, bytes: number): void {
    this.#facts += facts
    this.#bytes += bytes
  }
}
