import { type OwlpostProcess, startOwlpost } from '../support/owlpost-process.js'

export interface UnexpectedExit {
  code: number | null
  lastLines: string[]
}

/**
 * Keeps exactly one owlpost child running: SIGKILLs it on demand and starts a fresh one, and
 * restarts (and records) any exit the harness did not cause, since a relay that gives up on its
 * own is a finding, not noise.
 */
export class OwlpostSupervisor {
  private current: OwlpostProcess | undefined
  private readonly killedByUs = new WeakSet<OwlpostProcess>()
  private closed = false
  private readonly started: OwlpostProcess[] = []
  kills = 0
  readonly unexpectedExits: UnexpectedExit[] = []

  constructor(private readonly env: Record<string, string>) {}

  get process(): OwlpostProcess | undefined {
    return this.current
  }

  async start(): Promise<OwlpostProcess> {
    // owlpost's own defaults (status interval, standby retry), as deployed: what a crash costs
    // in redelivered facts depends on them.
    const owlpost = await startOwlpost(this.env, { testSettings: false })
    this.current = owlpost
    this.started.push(owlpost)
    void owlpost.exited.then((code) => {
      if (this.killedByUs.has(owlpost) || this.closed) return
      this.unexpectedExits.push({ code, lastLines: owlpost.output.slice(-15) })
      if (this.current === owlpost) void this.start()
    })
    return owlpost
  }

  /** SIGKILL, then a fresh process; waits for it to be ready when it can within `readyTimeoutMs`. */
  async killAndRestart(readyTimeoutMs: number): Promise<boolean> {
    const victim = this.current
    if (victim) {
      this.killedByUs.add(victim)
      await victim.kill()
      this.kills++
    }
    const next = await this.start()
    try {
      await next.ready(readyTimeoutMs)
      return true
    } catch {
      return false
    }
  }

  /** Log lines containing `text`, over every owlpost process this supervisor started. */
  linesContaining(text: string): number {
    return this.started.reduce(
      (sum, owlpost) => sum + owlpost.output.filter((line) => line.includes(text)).length,
      0,
    )
  }

  async close(): Promise<void> {
    this.closed = true
    const last = this.current
    if (last) {
      this.killedByUs.add(last)
      await last.stop()
    }
  }
}
