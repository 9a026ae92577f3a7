/**
 * Which offset of a batch may be committed while its records finish out of order (different keys
 * run side by side): the last offset such that it and every offset before it in the batch are
 * done. Committing past a record still running would skip it if this consumer died now.
 */
export class PartitionProgress {
  readonly #offsets: readonly string[]
  readonly #index = new Map<string, number>()
  readonly #done: boolean[]
  /** How many offsets from the start are done. */
  #contiguous = 0

  /** `offsets`: the batch's record offsets, in log order. */
  constructor(offsets: readonly string[]) {
    this.#offsets = offsets
    this.#done = offsets.map(() => false)
    offsets.forEach((offset, position) => {
      if (this.#index.has(offset)) throw new RangeError(`offset ${offset} appears twice in one batch`)
      this.#index.set(offset, position)
    })
  }

  /**
   * Marks a record done. Returns the offset that may now be committed (resolved) when this moved
   * the contiguous prefix forward, else undefined.
   */
  done(offset: string): string | undefined {
    const position = this.#index.get(offset)
    if (position === undefined) throw new RangeError(`offset ${offset} is not in this batch`)
    this.#done[position] = true
    const before = this.#contiguous
    while (this.#contiguous < this.#done.length && this.#done[this.#contiguous]) this.#contiguous++
    return this.#contiguous > before ? this.#offsets[this.#contiguous - 1] : undefined
  }

  /** The offset that may be committed, or undefined while the first record is not done. */
  get committable(): string | undefined {
    return this.#contiguous > 0 ? this.#offsets[this.#contiguous - 1] : undefined
  }

  get complete(): boolean {
    return this.#contiguous === this.#offsets.length
  }
}
