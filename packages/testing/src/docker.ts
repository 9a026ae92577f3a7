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
  return {
    stop: async (mode = 'fast') => {
      await (await container()).stop({ t: mode === 'fast' ? 30 : 0 })
    },
    kill: async () => {
      await (await container()).kill({ signal: 'SIGKILL' })
    },
    start: async () => {
      // 304: already running, which `docker start` also takes as done (startContainerKafka relies on it).
      await (await container()).start().catch((error: { statusCode?: number }) => {
        if (error.statusCode !== 304) throw error
      })
      await waitFor(`container ${id}`, ready, 60_000)
    },
  }
}
