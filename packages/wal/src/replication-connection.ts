import { readFileSync } from 'node:fs'
import { isIP, connect as netConnect, type Socket } from 'node:net'
import { checkServerIdentity, type TLSSocket, connect as tlsConnect } from 'node:tls'
import { md5PasswordResponse } from './auth/md5-password.js'
import { type ChannelBinding, certificateEndPointHash, ScramSha256Client } from './auth/scram-sha-256.js'
import {
  type ReplicationConnectionOptions,
  type ResolvedConnectionOptions,
  resolveConnectionOptions,
} from './connection-options.js'
import { type Logger, silentLogger } from './logger.js'
import { formatLsn, parseLsn } from './lsn.js'
import { PgoutputDecoder } from './pgoutput-decoder.js'
import { PostgresError } from './postgres-error.js'
import {
  AuthenticationError,
  ReplicationConnectionError,
  ReplicationProtocolError,
  UnsupportedServerVersionError,
} from './replication-errors.js'
import { type ReplicationStream, ReplicationStreamImpl } from './replication-stream.js'
import { type SessionState, sessionMismatch, type TargetSessionAttrs } from './target-session-attrs.js'
import { type BackendMessage, BackendMessageSource } from './wire/backend-message-source.js'
import {
  parseAuthentication,
  parseDataRow,
  parseErrorFields,
  parseParameterStatus,
  parseRowDescription,
  parseSaslMechanisms,
} from './wire/backend-messages.js'
import {
  passwordMessage,
  queryMessage,
  saslInitialResponse,
  saslResponse,
  sslRequest,
  startupMessage,
  terminateMessage,
} from './wire/frontend-messages.js'
import { AuthenticationCode, BackendCode } from './wire/message-codes.js'

export interface IdentifySystemResult {
  systemId: string
  timeline: number
  xlogPos: bigint
  dbName: string | null
}

export interface CreateReplicationSlotResult {
  slotName: string
  consistentPoint: bigint
  snapshotName: string | null
  outputPlugin: string
}

export interface QueryResult {
  columns: string[]
  rows: (string | null)[][]
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
}

/** Version gates of pgoutput options (server_version_num). */
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

const slotNamePattern = /^[a-z0-9_]{1,63}$/
const sslResponseTimeoutMs = 10_000
const closeTimeoutMs = 5_000

function invalidSlotName(name: string): Error {
  return new RangeError(
    `invalid replication slot name ${JSON.stringify(name)}: use 1 to 63 lower-case letters, digits and underscores`,
  )
}

function quoteLiteral(value: string): string {
  return `'${value.replaceAll("'", "''")}'`
}

function quoteIdentifier(value: string): string {
  return `"${value.replaceAll('"', '""')}"`
}

/** server_version '15.18' → 150018, '9.6.24' → 90624, '17devel' → 170000. */
export function parseServerVersion(text: string): number {
  const match = /^(\d+)(?:\.(\d+))?(?:\.(\d+))?/.exec(text)
  if (!match) return 0
  const major = Number(match[1])
  if (major >= 10) return major * 10000 + Number(match[2] ?? 0)
  return major * 10000 + Number(match[2] ?? 0) * 100 + Number(match[3] ?? 0)
}

async function openSocket(options: ResolvedConnectionOptions): Promise<Socket> {
  const socket = options.host.startsWith('/')
    ? netConnect({ path: `${options.host}/.s.PGSQL.${options.port}` })
    : netConnect({ host: options.host, port: options.port })
  socket.setNoDelay(true)
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve)
    socket.once('error', (error) =>
      reject(
        new ReplicationConnectionError(
          `cannot connect to PostgreSQL at ${options.host}:${options.port}: ${error.message}`,
          { cause: error },
        ),
      ),
    )
  })
  return socket
}

/** Sends SSLRequest and reads the one-byte answer: 'S' (go TLS) or 'N' (no TLS). */
async function requestSsl(socket: Socket): Promise<boolean> {
  socket.write(sslRequest())
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => fail(new ReplicationConnectionError('no answer to SSLRequest')),
      sslResponseTimeoutMs,
    )
    const cleanUp = () => {
      clearTimeout(timer)
      socket.off('data', onData)
      socket.off('error', fail)
      socket.off('close', onClose)
    }
    const fail = (error: Error) => {
      cleanUp()
      reject(error)
    }
    const onClose = () =>
      fail(new ReplicationConnectionError('the server closed the connection during SSLRequest'))
    const onData = (chunk: Buffer) => {
      cleanUp()
      socket.pause()
      // Anything after the answer byte would be unencrypted data injected before the handshake.
      if (chunk.length !== 1) {
        reject(new ReplicationProtocolError('unexpected data after the answer to SSLRequest'))
      } else if (chunk[0] === 0x53) resolve(true)
      else if (chunk[0] === 0x4e) resolve(false)
      else reject(new ReplicationProtocolError(`invalid answer 0x${chunk[0]!.toString(16)} to SSLRequest`))
    }
    socket.on('data', onData)
    socket.once('error', fail)
    socket.once('close', onClose)
  })
}

async function startTls(socket: Socket, options: ResolvedConnectionOptions): Promise<TLSSocket> {
  const ca =
    options.sslrootcert && options.sslrootcert !== 'system' ? readFileSync(options.sslrootcert) : undefined
  // libpq: with a root certificate, 'require' verifies the chain like 'verify-ca'.
  const verifyChain = options.sslmode === 'verify-ca' || options.sslmode === 'verify-full' || ca !== undefined
  const verifyHost = options.sslmode === 'verify-full'
  const tlsSocket = tlsConnect({
    socket,
    ...(isIP(options.host) === 0 ? { servername: options.host } : {}),
    ...(ca ? { ca } : {}),
    rejectUnauthorized: verifyChain,
    // Check against the host we were given: with a pre-connected socket Node would assume 'localhost'.
    checkServerIdentity: verifyHost
      ? (_, certificate) => checkServerIdentity(options.host, certificate)
      : () => undefined,
  })
  await new Promise<void>((resolve, reject) => {
    tlsSocket.once('secureConnect', resolve)
    tlsSocket.once('error', (error) =>
      reject(
        new ReplicationConnectionError(
          `TLS with the server failed (sslmode=${options.sslmode}${verifyChain ? ', verifying the certificate' : ''}): ${error.message}`,
          { cause: error },
        ),
      ),
    )
  })
  return tlsSocket
}

/**
 * A replication connection (`replication=database`) over node:net or node:tls, speaking the
 * frontend/backend protocol itself. One command at a time; after startReplication() the
 * connection belongs to the stream.
 */
export class ReplicationConnection {
  /** server_version_num, e.g. 150018. */
  readonly serverVersion: number
  /** ParameterStatus values the server reported (server_version, server_encoding, ...). */
  readonly parameters: ReadonlyMap<string, string>
  /** How the server authenticated us: 'trust', 'cleartext', 'md5', 'SCRAM-SHA-256' or 'SCRAM-SHA-256-PLUS'. */
  readonly authenticationMethod: string
  /** Whether the connection runs over TLS. */
  readonly tls: boolean
  private queue: Promise<unknown> = Promise.resolve()
  private stream: ReplicationStreamImpl | undefined
  private closed = false

  private constructor(
    private readonly socket: Socket,
    private readonly source: BackendMessageSource,
    startup: { parameters: Map<string, string>; authenticationMethod: string },
    private readonly logger: Logger,
  ) {
    const parameters = startup.parameters
    this.parameters = parameters
    this.authenticationMethod = startup.authenticationMethod
    this.tls = 'getPeerX509Certificate' in socket
    this.serverVersion = parseServerVersion(parameters.get('server_version') ?? '')
  }

  /**
   * Connects to the first server of the list that answers and suits `targetSessionAttrs`,
   * trying them in order as libpq does; connect_timeout applies to each.
   */
  static async connect(input: string | ReplicationConnectionOptions): Promise<ReplicationConnection> {
    const options = resolveConnectionOptions(input)
    const logger = (typeof input === 'object' && input.logger) || silentLogger
    if (options.hosts.length === 1 && options.targetSessionAttrs === 'any') {
      return ReplicationConnection.connectTo(options, logger)
    }
    const failures: string[] = []
    // prefer-standby: a standby if any answers, else whatever does.
    const passes: TargetSessionAttrs[] =
      options.targetSessionAttrs === 'prefer-standby' ? ['standby', 'any'] : [options.targetSessionAttrs]
    for (const wanted of passes) {
      for (const address of options.hosts) {
        const where = `${address.host}:${address.port}`
        let connection: ReplicationConnection
        try {
          connection = await ReplicationConnection.connectTo({ ...options, ...address }, logger)
        } catch (error) {
          if (error instanceof AuthenticationError) throw error
          failures.push(`${where}: ${(error as Error).message}`)
          continue
        }
        const mismatch = sessionMismatch(wanted, await connection.sessionState())
        if (!mismatch) return connection
        failures.push(`${where}: ${mismatch}`)
        await connection.close().catch(() => undefined)
      }
    }
    throw new ReplicationConnectionError(
      `no server suits target_session_attrs=${options.targetSessionAttrs} among ${options.hosts.length} hosts: ${failures.join('; ')}`,
    )
  }

  /** Whether the server is a standby and whether sessions are read-only, as libpq checks them. */
  async sessionState(): Promise<SessionState> {
    // Reported at startup since PostgreSQL 14; older servers are asked.
    const inHotStandby = this.parameters.get('in_hot_standby')
    const readOnly = this.parameters.get('default_transaction_read_only')
    if (inHotStandby !== undefined && readOnly !== undefined) {
      return { inHotStandby: inHotStandby === 'on', readOnly: readOnly === 'on' }
    }
    const { rows } = await this.query(
      "select pg_catalog.pg_is_in_recovery()::text, pg_catalog.current_setting('default_transaction_read_only')",
    )
    return { inHotStandby: rows[0]?.[0] === 'true', readOnly: rows[0]?.[1] === 'on' }
  }

  /** One server: TCP or the Unix socket, TLS as sslmode says, startup and authentication. */
  private static async connectTo(
    options: ResolvedConnectionOptions,
    logger: Logger,
  ): Promise<ReplicationConnection> {
    let socket: Socket | undefined
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new ReplicationConnectionError(
              `connecting to ${options.host}:${options.port} took longer than ${options.connectTimeoutMs} ms`,
            ),
          ),
        options.connectTimeoutMs,
      )
    })
    let abandoned = false
    // After a timeout the attempt may still be running: whatever socket it gets must not leak.
    const keep = (next: Socket): Socket => {
      socket = next
      if (abandoned) next.destroy()
      return next
    }
    const attempt = async () => {
      const plain = keep(await openSocket(options))
      const secured = keep(await ReplicationConnection.negotiateTls(plain, options))
      const source = new BackendMessageSource(secured)
      const startup = await ReplicationConnection.startUp(secured, source, options, logger)
      return new ReplicationConnection(keep(secured), source, startup, logger)
    }
    try {
      const connection = await Promise.race([attempt(), timeout])
      logger.debug(
        { host: options.host, port: options.port, serverVersion: connection.serverVersion },
        'replication connection ready',
      )
      return connection
    } catch (error) {
      abandoned = true
      socket?.destroy()
      throw error
    } finally {
      clearTimeout(timer)
    }
  }

  private static async negotiateTls(socket: Socket, options: ResolvedConnectionOptions): Promise<Socket> {
    if (options.sslmode === 'disable') return socket
    if (options.host.startsWith('/')) {
      if (options.sslmode === 'prefer') return socket
      throw new ReplicationConnectionError(`sslmode=${options.sslmode} is not possible over a Unix socket`)
    }
    const accepted = await requestSsl(socket)
    if (accepted) {
      socket.resume()
      return startTls(socket, options)
    }
    if (options.sslmode === 'prefer') return socket
    throw new ReplicationConnectionError(
      `the server does not support TLS, but sslmode=${options.sslmode} requires it`,
    )
  }

  private static async startUp(
    socket: Socket,
    source: BackendMessageSource,
    options: ResolvedConnectionOptions,
    logger: Logger,
  ): Promise<{ parameters: Map<string, string>; authenticationMethod: string }> {
    const parameters: Record<string, string> = {
      user: options.user,
      database: options.database,
      replication: 'database',
      client_encoding: 'UTF8',
    }
    if (options.applicationName) parameters.application_name = options.applicationName
    socket.write(startupMessage(parameters))
    const serverParameters = new Map<string, string>()
    let scram: ScramSha256Client | undefined
    let authenticationMethod = 'trust'
    const requirePassword = (method: string) => {
      if (options.password === undefined) {
        throw new AuthenticationError(
          `the server asks for ${method} authentication but no password was given`,
        )
      }
      return options.password
    }
    while (true) {
      const message = await source.next()
      switch (message.code) {
        case BackendCode.authentication: {
          const request = parseAuthentication(message.body)
          switch (request.code) {
            case AuthenticationCode.ok:
              if (options.channelBinding === 'require' && scram?.mechanism !== 'SCRAM-SHA-256-PLUS') {
                throw new AuthenticationError(
                  'channel_binding=require, but the server authenticated without it',
                )
              }
              break
            case AuthenticationCode.cleartextPassword:
              authenticationMethod = 'cleartext'
              socket.write(passwordMessage(requirePassword('cleartext password')))
              break
            case AuthenticationCode.md5Password:
              authenticationMethod = 'md5'
              socket.write(
                passwordMessage(md5PasswordResponse(options.user, requirePassword('MD5'), request.data)),
              )
              break
            case AuthenticationCode.sasl: {
              const mechanisms = parseSaslMechanisms(request.data)
              scram = new ScramSha256Client(
                requirePassword('SCRAM-SHA-256'),
                ReplicationConnection.channelBinding(socket, mechanisms, options),
              )
              if (!mechanisms.includes(scram.mechanism)) {
                throw new AuthenticationError(
                  `the server offers SASL mechanisms ${mechanisms.join(', ')}; this client supports SCRAM-SHA-256(-PLUS)`,
                )
              }
              authenticationMethod = scram.mechanism
              socket.write(saslInitialResponse(scram.mechanism, scram.clientFirstMessage()))
              break
            }
            case AuthenticationCode.saslContinue:
              if (!scram) throw new ReplicationProtocolError('SASLContinue before SASL')
              socket.write(saslResponse(scram.clientFinalMessage(request.data)))
              break
            case AuthenticationCode.saslFinal:
              if (!scram) throw new ReplicationProtocolError('SASLFinal before SASL')
              scram.verifyServerFinal(request.data)
              break
            default:
              throw new AuthenticationError(
                `the server asks for an authentication method this client does not support (code ${request.code})`,
              )
          }
          break
        }
        case BackendCode.parameterStatus: {
          const { name, value } = parseParameterStatus(message.body)
          serverParameters.set(name, value)
          break
        }
        case BackendCode.backendKeyData:
          break
        case BackendCode.noticeResponse:
          logger.info({ notice: parseErrorFields(message.body) }, 'server notice')
          break
        case BackendCode.negotiateProtocolVersion:
          break
        case BackendCode.errorResponse:
          throw new PostgresError(
            parseErrorFields(message.body),
            `connecting as ${options.user} to ${options.database}`,
          )
        case BackendCode.readyForQuery:
          return { parameters: serverParameters, authenticationMethod }
        default:
          throw new ReplicationProtocolError(
            `unexpected backend message 0x${message.code.toString(16)} during startup`,
          )
      }
    }
  }

  private static channelBinding(
    socket: Socket,
    mechanisms: string[],
    options: ResolvedConnectionOptions,
  ): ChannelBinding {
    const tls = 'getPeerX509Certificate' in socket ? (socket as TLSSocket) : undefined
    const certificate = tls?.getPeerX509Certificate()
    // Ed25519 and the like sign without a separate hash, which tls-server-end-point cannot name.
    const hashable = certificate !== undefined && /sha|md5/i.test(certificate.signatureAlgorithm ?? '')
    if (options.channelBinding === 'disable' || !hashable) {
      if (options.channelBinding === 'require') {
        throw new AuthenticationError('channel_binding=require needs TLS with a certificate it can bind to')
      }
      return { kind: 'none', serverSupportsIt: false }
    }
    if (!mechanisms.includes('SCRAM-SHA-256-PLUS')) {
      if (options.channelBinding === 'require') {
        throw new AuthenticationError(
          'channel_binding=require, but the server does not offer SCRAM-SHA-256-PLUS',
        )
      }
      return { kind: 'none', serverSupportsIt: true }
    }
    return {
      kind: 'tls-server-end-point',
      certificateHash: certificateEndPointHash(certificate.raw, certificate.signatureAlgorithm),
    }
  }

  /** Runs one command at a time: the protocol has a single conversation per connection. */
  private exclusive<T>(operation: () => Promise<T>): Promise<T> {
    const run = this.queue.then(() => {
      if (this.closed) throw new ReplicationConnectionError('the replication connection is closed')
      if (this.stream)
        throw new ReplicationConnectionError('the connection is streaming; close the stream first')
      return operation()
    })
    this.queue = run.catch(() => {})
    return run
  }

  private async nextMessage(): Promise<BackendMessage> {
    const message = await this.source.next()
    if (message.code === BackendCode.noticeResponse) {
      this.logger.info({ notice: parseErrorFields(message.body) }, 'server notice')
      return this.nextMessage()
    }
    if (message.code === BackendCode.parameterStatus) {
      const { name, value } = parseParameterStatus(message.body)
      ;(this.parameters as Map<string, string>).set(name, value)
      return this.nextMessage()
    }
    return message
  }

  /** Runs SQL or a replication command with the simple query protocol; returns the last result's text. */
  query(sql: string): Promise<QueryResult> {
    return this.exclusive(() => this.simpleQuery(sql))
  }

  private async simpleQuery(sql: string): Promise<QueryResult> {
    this.socket.write(queryMessage(sql))
    let result: QueryResult = { columns: [], rows: [] }
    let error: PostgresError | undefined
    while (true) {
      const message = await this.nextMessage()
      switch (message.code) {
        case BackendCode.rowDescription:
          result = { columns: parseRowDescription(message.body), rows: [] }
          break
        case BackendCode.dataRow:
          result.rows.push(parseDataRow(message.body))
          break
        case BackendCode.commandComplete:
        case BackendCode.emptyQueryResponse:
          break
        case BackendCode.errorResponse:
          error = new PostgresError(
            parseErrorFields(message.body),
            sql.length > 120 ? `${sql.slice(0, 117)}...` : sql,
          )
          break
        case BackendCode.readyForQuery:
          if (error) throw error
          return result
        default:
          throw new ReplicationProtocolError(
            `unexpected backend message 0x${message.code.toString(16)} in reply to a simple query`,
          )
      }
    }
  }

  async identifySystem(): Promise<IdentifySystemResult> {
    const { rows } = await this.query('IDENTIFY_SYSTEM')
    const row = rows[0]
    if (!row || row.length < 4) throw new ReplicationProtocolError('IDENTIFY_SYSTEM returned no row')
    return { systemId: row[0]!, timeline: Number(row[1]), xlogPos: parseLsn(row[2]!), dbName: row[3] ?? null }
  }

  /**
   * CREATE_REPLICATION_SLOT name [TEMPORARY] LOGICAL pgoutput. No snapshot is exported unless
   * asked (a snapshot is only usable on this connection before its next command). `failover`
   * (PostgreSQL 17) lets a standby running sync_replication_slots keep a copy of the slot.
   */
  async createReplicationSlot(
    name: string,
    options: { temporary?: boolean; twoPhase?: boolean; exportSnapshot?: boolean; failover?: boolean } = {},
  ): Promise<CreateReplicationSlotResult> {
    if (!slotNamePattern.test(name)) throw invalidSlotName(name)
    if (options.twoPhase) this.requireVersion('two_phase slot', minimumServerVersion.twoPhase)
    if (options.failover) this.requireVersion('failover slot', minimumServerVersion.failoverSlot)
    const temporary = options.temporary ? ' TEMPORARY' : ''
    let command: string
    if (this.serverVersion >= 150000) {
      const slotOptions = [`SNAPSHOT '${options.exportSnapshot ? 'export' : 'nothing'}'`]
      if (options.twoPhase) slotOptions.push('TWO_PHASE true')
      if (options.failover) slotOptions.push('FAILOVER true')
      command = `CREATE_REPLICATION_SLOT ${name}${temporary} LOGICAL pgoutput (${slotOptions.join(', ')})`
    } else {
      const snapshot = options.exportSnapshot ? 'EXPORT_SNAPSHOT' : 'NOEXPORT_SNAPSHOT'
      command = `CREATE_REPLICATION_SLOT ${name}${temporary} LOGICAL pgoutput ${snapshot}`
    }
    const { rows } = await this.query(command)
    const row = rows[0]
    if (!row || row.length < 4) throw new ReplicationProtocolError('CREATE_REPLICATION_SLOT returned no row')
    return {
      slotName: row[0]!,
      consistentPoint: parseLsn(row[1]!),
      snapshotName: row[2] ?? null,
      outputPlugin: row[3]!,
    }
  }

  async dropReplicationSlot(name: string, options: { wait?: boolean } = {}): Promise<void> {
    if (!slotNamePattern.test(name)) throw invalidSlotName(name)
    await this.query(`DROP_REPLICATION_SLOT ${name}${options.wait ? ' WAIT' : ''}`)
  }

  private requireVersion(option: string, version: number): void {
    if (this.serverVersion < version)
      throw new UnsupportedServerVersionError(option, version, this.serverVersion)
  }

  /** The START_REPLICATION command for these options, after checking the server supports them. */
  startReplicationCommand(options: StartReplicationOptions): string {
    if (!slotNamePattern.test(options.slot)) throw invalidSlotName(options.slot)
    if (options.publicationNames.length === 0)
      throw new RangeError('publicationNames must name at least one publication')
    const parallel = options.streaming === 'parallel'
    const protoVersion =
      options.protoVersion ?? (parallel ? 4 : options.twoPhase ? 3 : options.streaming ? 2 : 1)
    this.requireVersion(`proto_version ${protoVersion}`, minimumServerVersion.protoVersion[protoVersion])
    if (options.streaming && protoVersion < 2) throw new RangeError('streaming needs protoVersion 2 or later')
    if (options.twoPhase && protoVersion < 3) throw new RangeError('twoPhase needs protoVersion 3 or later')
    if (parallel && protoVersion < 4) throw new RangeError("streaming 'parallel' needs protoVersion 4")
    const pluginOptions = [
      `proto_version '${protoVersion}'`,
      `publication_names ${quoteLiteral(options.publicationNames.map(quoteIdentifier).join(','))}`,
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
      this.requireVersion(name, version)
      pluginOptions.push(`${name} '${value === 'parallel' ? 'parallel' : value ? 'on' : 'off'}'`)
    }
    if (options.origin !== undefined) {
      this.requireVersion('origin', minimumServerVersion.origin)
      pluginOptions.push(`origin '${options.origin}'`)
    }
    return `START_REPLICATION SLOT ${options.slot} LOGICAL ${formatLsn(options.startLsn ?? 0n)} (${pluginOptions.join(', ')})`
  }

  /** START_REPLICATION SLOT ... LOGICAL: from here on the connection belongs to the stream. */
  startReplication(options: StartReplicationOptions): Promise<ReplicationStream> {
    return this.exclusive(async () => {
      const command = this.startReplicationCommand(options)
      this.socket.write(queryMessage(command))
      let error: PostgresError | undefined
      while (true) {
        const message = await this.nextMessage()
        if (message.code === BackendCode.copyBothResponse) break
        if (message.code === BackendCode.errorResponse) {
          error = new PostgresError(parseErrorFields(message.body), `START_REPLICATION SLOT ${options.slot}`)
        } else if (message.code === BackendCode.readyForQuery && error) {
          throw error
        } else {
          throw new ReplicationProtocolError(
            `unexpected backend message 0x${message.code.toString(16)} in reply to START_REPLICATION`,
          )
        }
      }
      this.logger.info({ slot: options.slot, command }, 'replication started')
      this.stream = new ReplicationStreamImpl(
        this.source,
        (bytes) => {
          if (!this.socket.destroyed) this.socket.write(bytes)
        },
        () => this.endSocket(),
        new PgoutputDecoder(),
        {
          statusIntervalMs: options.statusIntervalMs ?? 10_000,
          confirmIntervalMs: options.confirmIntervalMs ?? 0,
          silenceTimeoutMs: options.silenceTimeoutMs ?? 60_000,
          logger: this.logger,
        },
      )
      return this.stream
    })
  }

  private endSocket(): Promise<void> {
    this.closed = true
    if (this.socket.destroyed) return Promise.resolve()
    return new Promise((resolve) => {
      // A server that does not close after Terminate gets the socket closed under it.
      const timer = setTimeout(() => this.socket.destroy(), closeTimeoutMs)
      this.socket.once('close', () => {
        clearTimeout(timer)
        resolve()
      })
      this.socket.end()
      // The server closes after Terminate; the data still in flight to us is not wanted any more.
      this.source.discard()
      this.socket.resume()
    })
  }

  /** Ends the stream if there is one (CopyDone), then Terminate. */
  async close(): Promise<void> {
    if (this.stream) return this.stream.close()
    if (this.closed) return
    await this.queue
    if (!this.socket.destroyed) this.socket.write(terminateMessage())
    await this.endSocket()
  }
}
