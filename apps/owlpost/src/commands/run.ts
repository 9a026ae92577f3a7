import type { Server } from 'node:http'
import { kafkajsCorrections } from '@factlib/kafka-sink'
import { ConfigError, loadConfig } from '../config/load-config.js'
import { redactUrl } from '../config/redact.js'
import type { FailoverSafety } from '../operations/failover-safety.js'
import { startHttpServer } from '../operations/http-server.js'
import { startLagPoller } from '../operations/lag-poller.js'
import { Liveness } from '../operations/liveness.js'
import { createLogger } from '../operations/logger.js'
import { createMetrics } from '../operations/metrics.js'
import { OwlpostRelay } from '../relay/owlpost-relay.js'

/** `owlpost`: the relay service, until SIGTERM or SIGINT (drain, confirm, close) or a halting error. */
export async function runRelay(env: Record<string, string | undefined>): Promise<number> {
  let config: ReturnType<typeof loadConfig>
  try {
    config = loadConfig(env)
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`)
      return 2
    }
    throw error
  }
  const logger = createLogger(config.logLevel)
  // Read at scrape time, once the relay and its liveness watch below exist.
  const metrics = createMetrics({
    inFlightFacts: () => relay.status().inFlight,
    noProgressSeconds: () => liveness.noProgressMs() / 1000,
  })
  const relay = new OwlpostRelay(config, logger, metrics)
  metrics.livenessMaxNoProgressSeconds.set(config.liveness.maxNoProgressMs / 1000)
  let failoverSafety: FailoverSafety = { safe: false, reason: 'not checked yet' }
  const liveness = new Liveness(
    { progress: () => relay.progress, waiting: () => relay.status().inFlight, failed: () => relay.failed },
    config.liveness,
  )
  liveness.start()
  const health = {
    live: () => liveness.check(),
    readiness: () => {
      const { confirmedLsn, ...status } = relay.status()
      return {
        ready: status.role === 'active' && status.postgresConnected && status.kafkaHealthy,
        ...status,
        // The answer's field keeps its name for those who read /ready; it is the confirmed position.
        deliveredLsn: confirmedLsn,
        // Reported, not required: a slot on PostgreSQL 15 or 16 is never failover-safe.
        slotFailoverSafe: failoverSafety.safe,
        slotFailoverReason: failoverSafety.reason,
        // Reported, not required: without them kafkajs works as released, only slower.
        kafkajsCorrections: kafkajsCorrections(),
      }
    },
  }
  const servers: Server[] = [
    await startHttpServer(config.httpHost, config.healthPort, health, metrics.registry),
  ]
  if (config.metricsPort !== config.healthPort) {
    servers.push(await startHttpServer(config.httpHost, config.metricsPort, health, metrics.registry))
  }
  const stopLagPoller = startLagPoller(
    {
      databaseUrl: config.databaseUrl,
      slot: config.slotName,
      publication: config.publicationName,
      intervalMs: config.lagPollIntervalMs,
    },
    metrics,
    logger,
    (safety) => {
      failoverSafety = safety
    },
  )
  logger.info(
    {
      prefixes: config.prefixes,
      slot: config.slotName,
      publication: config.publicationName,
      database: redactUrl(config.databaseUrl),
      brokers: config.kafka.brokers,
      httpHost: config.httpHost,
      healthPort: config.healthPort,
      metricsPort: config.metricsPort,
    },
    'owlpost starting',
  )
  for (const warning of config.warnings) logger.warn({ setting: warning.split(':')[0] }, warning)
  const controller = new AbortController()
  const onSignal = (signal: NodeJS.Signals) => {
    logger.info({ signal }, 'shutdown requested')
    controller.abort()
  }
  process.once('SIGTERM', onSignal)
  process.once('SIGINT', onSignal)
  let exitCode = 0
  try {
    await relay.run(controller.signal)
  } catch {
    exitCode = 1
  } finally {
    process.off('SIGTERM', onSignal)
    process.off('SIGINT', onSignal)
    liveness.stop()
    await stopLagPoller()
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))))
  }
  return exitCode
}
