import { setTimeout as sleep } from 'node:timers/promises'
import { waitFor } from '@factlib/testing'
import { type OwlpostProcess, startOwlpost } from '../support/owlpost-process.js'

async function waitForRole(owlpost: OwlpostProcess, role: string, timeoutMs: number): Promise<void> {
  await waitFor(`owlpost as ${role}`, async () => (await owlpost.readiness()).body.role === role, timeoutMs)
}

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
  /** Takeovers whose frozen old active was fenced and exited, and those where it went back to standby. */
  fenced = 0
  backToStandby = 0
  takeovers = 0
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

  /**
   * A standby takes over while the active still lives: a second owlpost starts as standby, the
   * active freezes (SIGSTOP), its walsender is terminated as wal_sender_timeout would, the standby
   * becomes active, and the old one is thawed (SIGCONT). With exactly-once it must then be fenced
   * (exit non-zero) or go back to standby; it is never left running beside the new active.
   */
  async takeover(
    terminateWalsender: () => Promise<void>,
    readyTimeoutMs: number,
  ): Promise<'fenced' | 'standby' | 'skipped'> {
    const old = this.current
    if (!old) return 'skipped'
    this.killedByUs.add(old)
    const next = await this.start()
    this.takeovers++
    try {
      await waitForRole(next, 'standby', readyTimeoutMs)
    } catch {
      // The old one may have been down already; the new one is simply the active.
    }
    old.freeze()
    await terminateWalsender()
    await next.ready(readyTimeoutMs).catch(() => {})
    old.thaw()
    const code = await Promise.race([old.exited, sleep(20_000).then(() => 'running' as const)])
    if (code !== 'running') {
      if (code !== 0 && old.output.some((line) => line.includes('fenced'))) {
        this.fenced++
        return 'fenced'
      }
      this.unexpectedExits.push({ code, lastLines: old.output.slice(-15) })
      return 'skipped'
    }
    // It had no transaction open when it froze, so nothing fenced it: it waits as a standby.
    const role = await old.readiness().then(
      (r) => r.body.role,
      () => 'unknown',
    )
    if (role === 'standby') this.backToStandby++
    else
      this.unexpectedExits.push({
        code: null,
        lastLines: [`old active left running as ${String(role)}`, ...old.output.slice(-10)],
      })
    await old.kill()
    return 'standby'
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
