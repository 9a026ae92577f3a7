import { createServer, type Server } from 'node:http'
import type { Registry } from 'prom-client'

export interface HealthSource {
  /** Liveness: the event loop runs and the relay makes progress (see Liveness). */
  live(): { live: true } | { live: false; reason: string }
  /** Readiness: connected to PostgreSQL and Kafka, and holding the slot. */
  readiness(): { ready: boolean; [detail: string]: unknown }
}

/**
 * /health, /ready and /metrics. The Go owlpost serves health and metrics on two ports
 * (WAL_HEALTH_PORT, METRICS_PORT); both ports answer all three paths here, so either works.
 */
export function startHttpServer(
  host: string,
  port: number,
  health: HealthSource,
  registry: Registry,
): Promise<Server> {
  const server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0]
    if (path === '/health') {
      const state = health.live()
      response.writeHead(state.live ? 200 : 503, { 'content-type': 'text/plain' })
      response.end(state.live ? 'OK' : `Not OK: ${state.reason}`)
      return
    }
    if (path === '/ready') {
      const state = health.readiness()
      response.writeHead(state.ready ? 200 : 503, { 'content-type': 'application/json' })
      response.end(
        JSON.stringify(state, (_key, value) => (typeof value === 'bigint' ? value.toString() : value)),
      )
      return
    }
    if (path === '/metrics') {
      registry
        .metrics()
        .then((text) => {
          response.writeHead(200, { 'content-type': registry.contentType })
          response.end(text)
        })
        .catch((error: Error) => {
          response.writeHead(500)
          response.end(error.message)
        })
      return
    }
    response.writeHead(404)
    response.end()
  })
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      resolve(server)
    })
  })
}
