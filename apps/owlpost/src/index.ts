/** owlpost as a library, for tests and embedding: the same pieces the CLI wires together. */
export { ConfigError, loadConfig, type OwlpostConfig } from './config/load-config.js'
export { runRelay } from './commands/run.js'
export { tailFacts, type TailOptions } from './commands/tail.js'
export { inspectSlot } from './commands/inspect.js'
export { Relay, type RelayStatus } from './relay/relay.js'
export { TransactionAssembler } from './relay/transaction-assembler.js'
export { createMetrics } from './operations/metrics.js'
export { createLogger } from './operations/logger.js'
