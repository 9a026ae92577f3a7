/** What liveness watches: a count that grows with every fact delivered, and whether facts wait. */
export interface ProgressSource {
  /** Grows whenever a fact reaches Kafka (its topic or the dead-letter topic). */
  progress(): number
  /** Facts handed to the sink and not yet delivered. */
  waiting(): number
  /** The relay stopped for good. */
  failed(): boolean
}

export interface LivenessSettings {
  /** The event loop may be blocked this long at once (LIVENESS_MAX_LOOP_STALL_MS). */
  maxLoopStallMs: number
  /** Facts may wait this long with none delivered (LIVENESS_MAX_NO_PROGRESS_MS). */
  maxNoProgressMs: number
}

/** How often the watch ticks: a tick late by more than maxLoopStallMs is a stalled loop. */
const tickMs = 500
/** How long a stall keeps /health failing after the loop runs again, so a probe sees it. */
const stallMemoryMs = 30_000

/**
 * The answer of /health: not "the process answers HTTP" but "it is doing its job". It fails when
 * the event loop was blocked longer than allowed (a stall a probe would otherwise miss, since it
 * is answered once the loop runs again), when facts have waited with none delivered for longer
 * than allowed (a relay wedged on one fact), or when the relay stopped for good.
 */
export class Liveness {
  #timer: NodeJS.Timeout | undefined
  #expectedTick = 0
  #stall: { ms: number; endedAt: number } | undefined
  #lastProgress = -1
  #progressAt = performance.now()

  constructor(
    private readonly source: ProgressSource,
    private readonly settings: LivenessSettings,
    private readonly now: () => number = () => performance.now(),
  ) {}

  start(): void {
    this.#expectedTick = this.now() + tickMs
    this.#progressAt = this.now()
    this.#timer = setInterval(() => this.tick(), tickMs)
    this.#timer.unref()
  }

  stop(): void {
    clearInterval(this.#timer)
  }

  /** One watch step; exposed for tests that drive the clock themselves. */
  tick(): void {
    const now = this.now()
    const late = now - this.#expectedTick
    if (late > this.settings.maxLoopStallMs) this.#stall = { ms: Math.round(late + tickMs), endedAt: now }
    this.#expectedTick = now + tickMs
    const progress = this.source.progress()
    if (progress !== this.#lastProgress || this.source.waiting() === 0) {
      this.#lastProgress = progress
      this.#progressAt = now
    }
  }

  /** How long facts have waited with none delivered, in ms: 0 while none wait or facts move. */
  noProgressMs(): number {
    this.tick()
    return this.now() - this.#progressAt
  }

  /** Live, or why not. */
  check(): { live: true } | { live: false; reason: string } {
    if (this.source.failed()) return { live: false, reason: 'the relay stopped for good' }
    // Catch up first: a probe answered right after a stall may run before the next tick.
    this.tick()
    const now = this.now()
    if (this.#stall && now - this.#stall.endedAt < stallMemoryMs) {
      return {
        live: false,
        reason: `the event loop was blocked for ${this.#stall.ms} ms (more than ${this.settings.maxLoopStallMs})`,
      }
    }
    const stuckFor = now - this.#progressAt
    if (stuckFor > this.settings.maxNoProgressMs) {
      return {
        live: false,
        reason: `${this.source.waiting()} facts have waited ${Math.round(stuckFor)} ms with none delivered (more than ${this.settings.maxNoProgressMs})`,
      }
    }
    return { live: true }
  }
}
