/**
 * At most `size` holders at once; the rest wait in arrival order. Bounds the transactions the
 * consumer has open across all its partitions and lanes, so a burst of keys does not take more
 * database connections than the store's pool has.
 */
export class ConcurrencyLimit {
  readonly size: number
  #held = 0
  readonly #waiting: (() => void)[] = []

  constructor(size: number) {
    if (!Number.isInteger(size) || size < 1)
      throw new RangeError(`concurrency limit ${size} is not a positive integer`)
    this.size = size
  }

  get held(): number {
    return this.#held
  }

  /** Resolves with a release function once a slot is free. */
  acquire(): Promise<() => void> {
    return new Promise((resolve) => {
      const grant = () => {
        this.#held++
        let released = false
        resolve(() => {
          if (released) return
          released = true
          this.#held--
          this.#waiting.shift()?.()
        })
      }
      if (this.#held < this.size) grant()
      else this.#waiting.push(grant)
    })
  }
}
