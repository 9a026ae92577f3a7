import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { promisify } from 'node:util'
import type { ControllableService } from './services.js'
import { waitFor } from './wait.js'

const run = promisify(execFile)

/** True when a Docker engine answers; the testcontainers backend is tried only then. */
export async function dockerAvailable(): Promise<boolean> {
  if (!process.env.DOCKER_HOST && !existsSync('/var/run/docker.sock')) return false
  try {
    const { getContainerRuntimeClient } = await import('testcontainers')
    await getContainerRuntimeClient()
    return true
  } catch {
    return false
  }
}

/** stop/start/kill of a container by id; the ports are fixed, so the address survives. */
export function dockerControl(
  id: string,
  ready: () => Promise<boolean>,
): Pick<ControllableService, 'stop' | 'start' | 'kill'> {
  return {
    stop: async (mode = 'fast') => {
      await run('docker', ['stop', '-t', mode === 'fast' ? '30' : '0', id])
    },
    kill: async () => {
      await run('docker', ['kill', '--signal', 'SIGKILL', id])
    },
    start: async () => {
      await run('docker', ['start', id])
      await waitFor(`container ${id}`, ready, 60_000)
    },
  }
}
