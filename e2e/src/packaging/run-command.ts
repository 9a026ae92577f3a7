import { spawn } from 'node:child_process'

export interface CommandResult {
  code: number | null
  signal: NodeJS.Signals | null
  output: string
}

/**
 * Runs a command to its end and returns its exit and its stdout and stderr together. Fails with
 * that output when it exits otherwise than with 0, so a failing check shows what went wrong.
 */
export async function run(
  command: string,
  args: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number },
): Promise<string> {
  const result = await runAllowingFailure(command, args, options)
  if (result.code !== 0) {
    throw new Error(
      `${command} ${args.join(' ')} (in ${options.cwd}) exited with ${result.code ?? result.signal}:\n${result.output}`,
    )
  }
  return result.output
}

export function runAllowingFailure(
  command: string,
  args: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number },
): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: options.timeoutMs ?? 120_000,
    })
    let output = ''
    child.stdout.on('data', (chunk) => {
      output += chunk
    })
    child.stderr.on('data', (chunk) => {
      output += chunk
    })
    child.on('error', reject)
    child.on('close', (code, signal) => resolve({ code, signal, output }))
  })
}
