/** owlpost as a library, for tests and embedding: the same pieces the CLI wires together. */

export { inspectSlot } from './commands/inspect.js'
export { runRelay } from './commands/run.js'
export { type TailOptions, tailFacts } from './commands/tail.js'
export { ConfigError, loadConfig, type OwlpostConfig } from './config/load-config.js'
export { createLogger } from './operations/logger.js'
export { createMetrics } from './operations/metrics.js'
export { OwlpostRelay, type OwlpostStatus } from './relay/owlpost-relay.js'
export { owlpostNodeFlags } from './runtime-flags.js'
