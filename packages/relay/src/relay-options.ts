/// <reference types="node" preserve="true" />
import type { FactTransaction } from './fact-transaction.js'
import type { FactFunction, HandlerErrorPolicy } from './function-handler.js'
import type { FactHandler } from './handler.js'
import type { Logger } from './logger.js'
import type { MissingSlotGuard } from './missing-slot.js'

export interface SourceOptions {
  /** `postgres://user:password@host:port/db` of the primary; the role needs REPLICATION. */
  connectionString: string
  slot: string
  publication: string
  /** The `pg_logical_emit_message` prefixes to read; others are ignored. */
  prefixes: readonly string[]
  applicationName?: string
  /** Create the publication (with no tables) and the pgoutput slot when missing. Default true. */
  createSlot?: boolean
  /** The keepalive status update period. Default 10 000 ms. */
  statusIntervalMs?: number
  /** A moved position reaches PostgreSQL within this long of the previous update. Default 100 ms. */
  confirmIntervalMs?: number
  /** No data or keepalive for this long: reconnect. Default 90 000 ms. */
  silenceTimeoutMs?: number
  /** Facts of one transaction held before they go out as a part. Default 1,000. */
  maxChunkFacts?: number
  /**
   * The largest WAL message held whole (@factlib/wal's `maxMessageBytes`). A logical message over
   * it is read past without being held and dead-lettered with its size, SHA-256 and first bytes.
   * Default 8 MiB (`defaultMaxMessageBytes`).
   */
  maxMessageBytes?: number
  /** On PostgreSQL 17, create the slot with failover = true (and switch an existing one). Default true. */
  failoverSlot?: boolean
  /** Asked before a missing slot is created; throws SlotRecreateRefusedError to halt instead. */
  missingSlotGuard?: MissingSlotGuard
}

/** The relay's state, for readiness probes and logs. */
export type RelayRole = 'starting' | 'standby' | 'active' | 'reconnecting' | 'stopping' | 'stopped' | 'failed'

/** The step of a replication session that failed, for metrics. */
export type SessionStep = 'connect' | 'slot_setup' | 'start_replication' | 'stream'

export interface RelayHooks {
  /** A transaction (or part) is about to go to a handler. */
  handing?(transaction: FactTransaction): void
  /** A handler refused a transaction; the relay stops. */
  handingFailed?(transaction: FactTransaction, error: unknown): void
  /** A replication session broke at `step`; the relay reconnects with backoff. */
  sessionFailed?(error: unknown, step: SessionStep): void
  roleChanged?(role: RelayRole): void
  /** The position confirmed to PostgreSQL moved. */
  confirmed?(lsn: bigint): void
}

export interface RelayOptions {
  source: SourceOptions
  /** The handler of every prefix, or of those `handlers` does not name. */
  handler?: FactHandler | FactFunction
  /** One handler per prefix (the seed's RegisterHandler). */
  handlers?: Readonly<Record<string, FactHandler | FactFunction>>
  /** What a function handler's failure does. Default 'halt'. Object handlers decide for themselves. */
  onHandlerError?: HandlerErrorPolicy
  /** How often a standby tries to take the slot. Default 2 000 ms. */
  standbyRetryMs?: number
  /** The cap of the reconnect backoff. Default 30 000 ms. */
  reconnectMaxBackoffMs?: number
  /** How long `stop` waits for facts in flight. Default 15 000 ms. */
  shutdownTimeoutMs?: number
  logger?: Logger
  hooks?: RelayHooks
}

export interface RelayStatus {
  role: RelayRole
  postgresConnected: boolean
  /** The position that may be confirmed, as `X/Y`. */
  confirmedLsn: string
  /** Facts handed to handlers and not yet delivered. */
  inFlight: number
}

export interface Relay {
  /** Runs until `signal` aborts (then drains, confirms and closes) or a handler halts it (rejects). */
  run(signal: AbortSignal): Promise<void>
  status(): RelayStatus
  readonly failed: boolean
}
