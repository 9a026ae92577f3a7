import { describe, expect, it } from 'vitest'
import { Liveness, type ProgressSource } from './liveness.js'

function source(): ProgressSource & { delivered: number; inFlight: number; stopped: boolean } {
  return {
    delivered: 0,
    inFlight: 0,
    stopped: false,
    progress() {
      return this.delivered
    },
    waiting() {
      return this.inFlight
    },
    failed() {
      return this.stopped
    },
  }
}

function block(ms: number): void {
  const until = performance.now() + ms
  while (performance.now() < until) {
    // the event loop is frozen, as a runaway synchronous computation would freeze it
  }
}

describe('liveness (/health)', () => {
  it('fails after the event loop was frozen longer than allowed, and recovers once it has run freely for a while', async () => {
    let clock = 0
    const relay = source()
    const liveness = new Liveness(relay, { maxLoopStallMs: 300, maxNoProgressMs: 60_000 }, () => clock)
    liveness.start()
    clock += 500
    liveness.tick()
    expect(liveness.check()).toEqual({ live: true })
    clock += 2_000 // a tick 1.5 s late
    const frozen = liveness.check()
    expect(frozen.live).toBe(false)
    expect(frozen.live === false && frozen.reason).toMatch(
      /event loop was blocked for 2000 ms \(more than 300\)/,
    )
    for (let step = 0; step < 70; step++) {
      clock += 500
      liveness.tick()
    }
    expect(liveness.check()).toEqual({ live: true })
    liveness.stop()
  })

  it('sees a real freeze of this very event loop', async () => {
    const liveness = new Liveness(source(), { maxLoopStallMs: 200, maxNoProgressMs: 60_000 })
    liveness.start()
    await new Promise((resolve) => setTimeout(resolve, 600))
    expect(liveness.check()).toEqual({ live: true })
    block(1_200)
    // The probe that arrives right after the freeze is answered before any timer: it must still see it.
    expect(liveness.check().live).toBe(false)
    liveness.stop()
  })

  it('fails when facts wait with none delivered for longer than allowed, not when nothing waits', () => {
    let clock = 0
    const relay = source()
    const liveness = new Liveness(relay, { maxLoopStallMs: 10_000, maxNoProgressMs: 5_000 }, () => clock)
    liveness.start()
    const advance = (ms: number) => {
      for (let done = 0; done < ms; done += 500) {
        clock += 500
        liveness.tick()
      }
    }
    advance(20_000) // idle: nothing waits, nothing to deliver
    expect(liveness.check()).toEqual({ live: true })
    relay.inFlight = 3
    advance(4_000)
    relay.delivered++ // progress resets the clock
    advance(4_000)
    expect(liveness.check()).toEqual({ live: true })
    advance(2_000)
    const stuck = liveness.check()
    expect(stuck.live === false && stuck.reason).toMatch(/^3 facts have waited 5500 ms with none delivered/)
    relay.stopped = true
    expect(liveness.check()).toEqual({ live: false, reason: 'the relay stopped for good' })
  })

  it('tells how long facts have waited with none delivered (owlpost_no_progress_seconds)', () => {
    let clock = 0
    const relay = source()
    const liveness = new Liveness(relay, { maxLoopStallMs: 60_000, maxNoProgressMs: 60_000 }, () => clock)
    liveness.start()
    clock += 5_000
    expect(liveness.noProgressMs()).toBe(0) // nothing waits
    relay.inFlight = 3
    clock += 4_000
    expect(liveness.noProgressMs()).toBe(4_000)
    relay.delivered = 1 // one delivered, others still wait
    expect(liveness.noProgressMs()).toBe(0)
    clock += 2_000
    expect(liveness.noProgressMs()).toBe(2_000)
    relay.inFlight = 0
    expect(liveness.noProgressMs()).toBe(0)
    liveness.stop()
  })
})
