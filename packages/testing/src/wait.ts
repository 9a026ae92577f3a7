import { setTimeout as sleep } from 'node:timers/promises'

/** Polls `probe` until it resolves true or the deadline passes, then throws with the last cause. */
export async function waitFor(what: string, probe: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  let lastError: unknown
  while (Date.now() < deadline) {
    try {
      if (await probe()) return
    } catch (error) {
      lastError = error
    }
    await sleep(100)
  }
  const cause = lastError instanceof Error ? `: ${lastError.message}` : ''
  throw new Error(`${what} not ready after ${timeoutMs} ms${cause}`)
}
