import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { freePort, waitFor } from '@factlib/testing'
import { owlpostNodeFlags } from 'owlpost'

const require = createRequire(import.meta.url)
/** The built CLI of the owlpost workspace package, run exactly as in production. */
export const owlpostCli = join(dirname(require.resolve('owlpost/package.json')), 'dist', 'cli.js')

export interface OwlpostProcess {
  readonly healthPort: number
  /** The owlpost process's pid, to read its memory from /proc. */
  readonly pid: number
  readonly output: string[]
  readonly exited: Promise<number | null>
  ready(timeoutMs?: number): Promise<void>
  readiness(): Promise<{ status: number; body: Record<string, unknown> }>
  metrics(): Promise<string>
  /**
   * SIGTERM and wait: the graceful path (drain, confirm, close). owlpost bounds its shutdown
   * (SHUTDOWN_TIMEOUT_MS); one still running after `timeoutMs` is SIGKILLed and the call rejects
   * with its last log lines, rather than hang the test's hooks.
   */
  stop(timeoutMs?: number): Promise<number | null>
  /** SIGKILL: a crash. */
  kill(): Promise<void>
  /** SIGSTOP / SIGCONT: a process that hangs (a long GC pause, a frozen VM) and comes back. */
  freeze(): void
  thaw(): void
}

export interface OwlpostProcessOptions {
  /** The working directory, where owlpost looks for a `.env` file. Default: this process's. */
  cwd?: string
  /**
   * Whether to add the suite's quicker settings (status, standby and lag intervals, log level).
   * Off, owlpost sees only `env`, the health and metrics ports and PATH: a Go-era deployment.
   */
  testSettings?: boolean
}

/** owlpost as a child process with its own health port; its JSON log lines are kept in `output`. */
export async function startOwlpost(
  env: Record<string, string>,
  options: OwlpostProcessOptions = {},
): Promise<OwlpostProcess> {
  const healthPort = await freePort()
  // As deployed (the bin's shebang, the Docker entrypoint), unless the caller experiments with
  // its own heap settings through NODE_OPTIONS.
  const flags = env.NODE_OPTIONS?.includes('space-size') ? [] : owlpostNodeFlags
  const testSettings =
    options.testSettings === false
      ? {}
      : {
          LOG_LEVEL: 'info',
          STANDBY_RETRY_MS: '500',
          STATUS_INTERVAL_MS: '1000',
          LAG_POLL_INTERVAL_MS: '1000',
        }
  const child: ChildProcess = spawn(process.execPath, [...flags, owlpostCli], {
    env: {
      PATH: process.env.PATH ?? '',
      WAL_HEALTH_PORT: String(healthPort),
      METRICS_PORT: String(healthPort),
      ...testSettings,
      ...env,
    },
    ...(options.cwd ? { cwd: options.cwd } : {}),
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const output: string[] = []
  const collect = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) if (line) output.push(line)
    if (output.length > 5_000) output.splice(0, output.length - 5_000)
  }
  child.stdout?.on('data', collect)
  child.stderr?.on('data', collect)
  const exited = once(child, 'exit').then(([code]) => code as number | null)
  const get = async (path: string) => {
    const response = await fetch(`http://127.0.0.1:${healthPort}${path}`)
    return { status: response.status, text: await response.text() }
  }
  const handle: OwlpostProcess = {
    healthPort,
    pid: child.pid!,
    output,
    exited,
    async ready(timeoutMs = 60_000) {
      await waitFor(
        `owlpost ready on ${healthPort}`,
        async () => {
          if (child.exitCode !== null) throw new Error(`owlpost exited:\n${output.slice(-20).join('\n')}`)
          return (await handle.readiness()).status === 200
        },
        timeoutMs,
      )
    },
    async readiness() {
      const { status, text } = await get('/ready')
      return { status, body: JSON.parse(text) as Record<string, unknown> }
    },
    async metrics() {
      return (await get('/metrics')).text
    },
    async stop(timeoutMs = 60_000) {
      if (child.exitCode !== null || child.signalCode !== null) return exited
      child.kill('SIGTERM')
      let timer: NodeJS.Timeout | undefined
      const deadline = new Promise<'late'>((resolve) => {
        timer = setTimeout(() => resolve('late'), timeoutMs)
      })
      const outcome = await Promise.race([exited, deadline]).finally(() => clearTimeout(timer))
      if (outcome !== 'late') return outcome
      child.kill('SIGKILL')
      await exited
      throw new Error(
        `owlpost did not exit within ${timeoutMs} ms of SIGTERM; its last lines:\n${output.slice(-30).join('\n')}`,
      )
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
      await exited
    },
    freeze() {
      child.kill('SIGSTOP')
    },
    thaw() {
      child.kill('SIGCONT')
    },
  }
  return handle
}
