import { formatLsn, parseLsn } from './lsn.js'
import { ReplicationProtocolError, UnsupportedServerVersionError } from './replication-errors.js'
import { sqlIdentifier, sqlLiteral } from './sql-text.js'

/**
 * The replication commands (IDENTIFY_SYSTEM, CREATE_REPLICATION_SLOT, DROP_REPLICATION_SLOT,
 * START_REPLICATION): their text for a given server version, and their result rows read back.
 * Pure: ReplicationConnection sends them.
 */

export interface IdentifySystemResult {
  systemId: string
  timeline: number
  xlogPos: bigint
  dbName: string | null
}

export interface CreateReplicationSlotOptions {
  temporary?: boolean
  twoPhase?: boolean
  exportSnapshot?: boolean
  failover?: boolean
}

export interface CreateReplicationSlotResult {
  slotName: string
  consistentPoint: bigint
  snapshotName: string | null
  outputPlugin: string
}

export interface StartReplicationOptions {
  slot: string
  /** Where to start; the server starts at the slot's confirmed position if that is later. Default 0/0. */
  startLsn?: bigint
  publicationNames: string[]
  /** Default: the lowest version the other options need (1, 2 with streaming, 3 with twoPhase). */
  protoVersion?: 1 | 2 | 3 | 4
  messages?: boolean
  binary?: boolean
  /** 'parallel' (PostgreSQL 16, protocol 4) also makes Stream Abort carry the abort LSN and time. */
  streaming?: boolean | 'parallel'
  twoPhase?: boolean
  origin?: 'any' | 'none'
  /** Status update period: the keepalive that tells the server this client is alive. Default 10 000 ms. */
  statusIntervalMs?: number
  /**
   * Confirm promptly: after `acknowledge()` moves the position, a status update goes out within
   * this many ms of the previous one, once per move, instead of waiting for the periodic one, so a
   * crash replays little. Default 0: only the periodic, requested and closing updates.
   */
  confirmIntervalMs?: number
  /**
   * Fail the iterator when the server sends nothing for this long while the consumer waits
   * (a reply is requested at half of it). Default 60 000 ms; 0 disables.
   */
  silenceTimeoutMs?: number
  /**
   * The largest pgoutput message held whole. A larger one is read past without keeping its body
   * and arrives as an `oversized` message (its header, size and a content digest). Default
   * `defaultMaxMessageBytes`.
   */
  maxMessageBytes?: number
}

/** 8 MiB: see the README (memory per message held, against Kafka's 1 MiB default max.message.bytes). */
export const defaultMaxMessageBytes = 8 * 1024 * 1024

/**
 * The smallest maxMessageBytes allowed: an oversized message is read from a head of 64 KiB, so a
 * smaller cap would cut messages the head could hold whole anyway.
 */
export const minimumMaxMessageBytes = 64 * 1024
/** PostgreSQL's own limit on one allocation (MaxAllocSize): no message is larger. */
const largestMaxMessageBytes = 1024 * 1024 * 1024 - 1

/** The cap a stream applies: the option checked, or the default. Throws RangeError naming maxMessageBytes. */
export function resolveMaxMessageBytes(value: number | undefined): number {
  if (value === undefined) return defaultMaxMessageBytes
  if (!Number.isInteger(value) || value < minimumMaxMessageBytes || value > largestMaxMessageBytes) {
    throw new RangeError(
      `maxMessageBytes must be an integer from ${minimumMaxMessageBytes} to ${largestMaxMessageBytes}; got ${value}`,
    )
  }
  return value
}

/** Version gates of pgoutput and slot options (server_version_num). */
const minimumServerVersion = {
  protoVersion: { 1: 100000, 2: 140000, 3: 150000, 4: 160000 },
  messages: 140000,
  binary: 140000,
  streaming: 140000,
  parallelStreaming: 160000,
  twoPhase: 150000,
  origin: 160000,
  failoverSlot: 170000,
} as const

/** CREATE_REPLICATION_SLOT takes parenthesized options from this version on. */
const parenthesizedSlotOptions = 150000

const slotNamePattern = /^[a-z0-9_]{1,63}$/

/** Slot names go into commands unquoted, so only the characters PostgreSQL allows in them pass. */
export function checkSlotName(name: string): void {
  if (!slotNamePattern.test(name)) {
    throw new RangeError(
      `invalid replication slot name ${JSON.stringify(name)}: use 1 to 63 lower-case letters, digits and underscores`,
    )
  }
}

function requireVersion(option: string, version: number, serverVersion: number): void {
  if (serverVersion < version) throw new UnsupportedServerVersionError(option, version, serverVersion)
}

export function identifySystemResult(rows: (string | null)[][]): IdentifySystemResult {
  const row = rows[0]
  if (!row || row.length < 4) throw new ReplicationProtocolError('IDENTIFY_SYSTEM returned no row')
  return { systemId: row[0]!, timeline: Number(row[1]), xlogPos: parseLsn(row[2]!), dbName: row[3] ?? null }
}

/**
 * CREATE_REPLICATION_SLOT name [TEMPORARY] LOGICAL pgoutput, in the syntax of the server's version.
 * No snapshot is exported unless asked.
 */
export function createReplicationSlotCommand(
  name: string,
  options: CreateReplicationSlotOptions,
  serverVersion: number,
): string {
  checkSlotName(name)
  if (options.twoPhase) requireVersion('two_phase slot', minimumServerVersion.twoPhase, serverVersion)
  if (options.failover) requireVersion('failover slot', minimumServerVersion.failoverSlot, serverVersion)
  const temporary = options.temporary ? ' TEMPORARY' : ''
  if (serverVersion >= parenthesizedSlotOptions) {
    const slotOptions = [`SNAPSHOT ${sqlLiteral(options.exportSnapshot ? 'export' : 'nothing')}`]
    if (options.twoPhase) slotOptions.push('TWO_PHASE true')
    if (options.failover) slotOptions.push('FAILOVER true')
    return `CREATE_REPLICATION_SLOT ${name}${temporary} LOGICAL pgoutput (${slotOptions.join(', ')})`
  }
  const snapshot = options.exportSnapshot ? 'EXPORT_SNAPSHOT' : 'NOEXPORT_SNAPSHOT'
  return `CREATE_REPLICATION_SLOT ${name}${temporary} LOGICAL pgoutput ${snapshot}`
}

export function createReplicationSlotResult(rows: (string | null)[][]): CreateReplicationSlotResult {
  const row = rows[0]
  if (!row || row.length < 4) throw new ReplicationProtocolError('CREATE_REPLICATION_SLOT returned no row')
  return {
    slotName: row[0]!,
    consistentPoint: parseLsn(row[1]!),
    snapshotName: row[2] ?? null,
    outputPlugin: row[3]!,
  }
}

export function dropReplicationSlotCommand(name: string, options: { wait?: boolean }): string {
  checkSlotName(name)
  return `DROP_REPLICATION_SLOT ${name}${options.wait ? ' WAIT' : ''}`
}

/** START_REPLICATION SLOT ... LOGICAL, after checking the server supports every option given. */
export function startReplicationCommand(options: StartReplicationOptions, serverVersion: number): string {
  checkSlotName(options.slot)
  if (options.publicationNames.length === 0)
    throw new RangeError('publicationNames must name at least one publication')
  const parallel = options.streaming === 'parallel'
  const protoVersion =
    options.protoVersion ?? (parallel ? 4 : options.twoPhase ? 3 : options.streaming ? 2 : 1)
  requireVersion(
    `proto_version ${protoVersion}`,
    minimumServerVersion.protoVersion[protoVersion],
    serverVersion,
  )
  if (options.streaming && protoVersion < 2) throw new RangeError('streaming needs protoVersion 2 or later')
  if (options.twoPhase && protoVersion < 3) throw new RangeError('twoPhase needs protoVersion 3 or later')
  if (parallel && protoVersion < 4) throw new RangeError("streaming 'parallel' needs protoVersion 4")
  const pluginOptions = [
    `proto_version ${sqlLiteral(String(protoVersion))}`,
    `publication_names ${sqlLiteral(options.publicationNames.map(sqlIdentifier).join(','))}`,
  ]
  const flags = [
    ['messages', options.messages, minimumServerVersion.messages],
    ['binary', options.binary, minimumServerVersion.binary],
    [
      'streaming',
      options.streaming,
      parallel ? minimumServerVersion.parallelStreaming : minimumServerVersion.streaming,
    ],
    ['two_phase', options.twoPhase, minimumServerVersion.twoPhase],
  ] as const
  for (const [name, value, version] of flags) {
    if (value === undefined) continue
    requireVersion(name, version, serverVersion)
    pluginOptions.push(`${name} ${sqlLiteral(value === 'parallel' ? 'parallel' : value ? 'on' : 'off')}`)
  }
  if (options.origin !== undefined) {
    requireVersion('origin', minimumServerVersion.origin, serverVersion)
    pluginOptions.push(`origin ${sqlLiteral(options.origin)}`)
  }
  return `START_REPLICATION SLOT ${options.slot} LOGICAL ${formatLsn(options.startLsn ?? 0n)} (${pluginOptions.join(', ')})`
}
