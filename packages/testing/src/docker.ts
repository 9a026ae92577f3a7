import { existsSync } from 'node:fs'
import type { ControllableService } from './services.js'
import { waitFor } from './wait.js'

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

/**
 * stop/start/kill of a container by id, through the engine's API (the one testcontainers uses,
 * so DOCKER_HOST is honoured and no `docker` CLI is needed); the ports are fixed, so the
 * address survives.
 */
export function dockerControl(
  id: string,
  ready: () => Promise<boolean>,
): Pick<ControllableService, 'stop' | 'start' | 'kill'> {
  const container = async () => {
    const { getContainerRuntimeClient } = await import('testcontainers')
    return (await getContainerRuntimeClient()).container.getById(id)
  }
  // 304 Not Modified: already stopped, or already running. `docker stop` and `docker start`
  // take that as done, and so do callers (startContainerKafka starts a running container).
  const unlessAlready = (error: { statusCode?: number }) => {
    if (error.statusCode !== 304) throw error
  }
  return {
    stop: async (mode = 'fast') => {
      await (await container()).stop({ t: mode === 'fast' ? 30 : 0 }).catch(unlessAlready)
    },
    kill: async () => {
      await (await container()).kill({ signal: 'SIGKILL' })
    },
    start: async () => {
      await (await container()).start().catch(unlessAlready)
      await waitFor(`container ${id}`, ready, 60_000)
    },
  }
}
