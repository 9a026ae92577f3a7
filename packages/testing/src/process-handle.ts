import { type ChildProcess, type SpawnOptions, spawn } from 'node:child_process'
import { once } from 'node:events'
import { openSync } from 'node:fs'

/**
 * A long-running server child process in its own process group, so a kill takes its
 * helpers (PostgreSQL backends, JVM threads) with it, and logs go to a file rather than
 * to the test output.
 */
export class ServerProcess {
  private child: ChildProcess | undefined
  private exited: Promise<unknown> = Promise.resolve()

  constructor(
    private readonly command: string,
    private readonly args: string[],
    private readonly logFile: string,
    private readonly options: SpawnOptions = {},
  ) {}

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null
  }

  get pid(): number | undefined {
    return this.child?.pid
  }

  start(): void {
    if (this.running) return
    const log = openSync(this.logFile, 'a')
    const child = spawn(this.command, this.args, {
      ...this.options,
      detached: true,
      stdio: ['ignore', log, log],
    })
    child.unref()
    this.exited = once(child, 'exit').catch(() => undefined)
    this.child = child
    liveProcesses.add(this)
  }

  /** Sends `signal` to the whole group and waits for the leader to exit. */
  async signal(signal: NodeJS.Signals, timeoutMs = 30_000): Promise<void> {
    const child = this.child
    if (!child?.pid || !this.running) return
    try {
      process.kill(signal === 'SIGKILL' ? -child.pid : child.pid, signal)
    } catch {
      return
    }
    const timer = setTimeout(() => this.forceKill(), timeoutMs)
    await this.exited
    clearTimeout(timer)
    if (signal === 'SIGKILL') this.forceKill()
    liveProcesses.delete(this)
  }

  forceKill(): void {
    const pid = this.child?.pid
    if (!pid) return
    try {
      process.kill(-pid, 'SIGKILL')
    } catch {
      // already gone
    }
  }
}

const liveProcesses = new Set<ServerProcess>()

// A test run that dies must not leave servers behind holding ports and memory.
process.once('exit', () => {
  for (const server of liveProcesses) server.forceKill()
})
