import { spawn } from 'node:child_process'

export interface PackageBenchResult {
  package: string
  command: string
  status: 'ok' | 'failed' | 'missing' | 'timed out'
  exitCode: number | null
  seconds: number
  output: string
}

/** The packages' own micro-benchmarks, each run as `pnpm --filter <package> bench`. */
export const packageBenches = [
  '@factlib/wal',
  '@factlib/producer',
  '@factlib/kafka-sink',
  '@factlib/consumer',
] as const

/**
 * Runs one package's bench script as a child process and keeps its output. A missing script,
 * a failure or a timeout is reported in the result, never thrown: one broken micro-benchmark
 * must not cost the rest of the report.
 */
export async function runPackageBench(options: {
  pkg: string
  cwd: string
  env: Record<string, string>
  timeoutMs: number
}): Promise<PackageBenchResult> {
  const args = ['--filter', options.pkg, 'bench']
  const command = `pnpm ${args.join(' ')}`
  const started = performance.now()
  const child = spawn('pnpm', args, {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  })
  let output = ''
  const collect = (chunk: Buffer) => {
    output += chunk.toString('utf8')
  }
  child.stdout?.on('data', collect)
  child.stderr?.on('data', collect)
  let timedOut = false
  const timer = setTimeout(() => {
    timedOut = true
    // The bench may have started servers of its own: end its whole process group.
    if (child.pid) process.kill(-child.pid, 'SIGTERM')
  }, options.timeoutMs)
  const exitCode = await new Promise<number | null>((resolve) => {
    child.on('error', () => resolve(null))
    child.on('close', (code) => resolve(code))
  })
  clearTimeout(timer)
  const seconds = (performance.now() - started) / 1000
  const missing = /Missing script|None of the selected packages has a "bench" script|No projects matched/i
  const status = timedOut ? 'timed out' : exitCode === 0 ? 'ok' : missing.test(output) ? 'missing' : 'failed'
  return { package: options.pkg, command, status, exitCode, seconds, output: output.trim() }
}
