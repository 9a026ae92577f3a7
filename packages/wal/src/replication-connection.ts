import type { Socket } from 'node:net'
import { AsynchronousMessages } from './asynchronous-messages.js'
import {
  type ReplicationConnectionOptions,
  type ResolvedConnectionOptions,
  resolveConnectionOptions,
} from './connection-options.js'
import { parseServerVersion, startUp } from './connection-startup.js'
import { isTls, negotiateTls, openSocket } from './connection-transport.js'
import { type Logger, silentLogger } from './logger.js'
import { PgoutputDecoder } from './pgoutput-decoder.js'
import {
  type CreateReplicationSlotOptions,
  type CreateReplicationSlotResult,
  createReplicationSlotCommand,
  createReplicationSlotResult,
  defaultMaxMessageBytes,
  dropReplicationSlotCommand,
  type IdentifySystemResult,
  identifySystemResult,
  resolveMaxMessageBytes,
  type StartReplicationOptions,
  startReplicationCommand,
} from './replication-commands.js'
import { AuthenticationError, ReplicationConnectionError } from './replication-errors.js'
import { xlogDataHeaderSize } from './replication-frames.js'
import { type ReplicationStream, ReplicationStreamImpl } from './replication-stream.js'
import { type QueryChannel, type QueryResult, simpleQuery, startCopyBoth } from './simple-query.js'
import { type SessionState, sessionMismatch, type TargetSessionAttrs } from './target-session-attrs.js'
import { BackendMessageSource } from './wire/backend-message-source.js'
import { terminateMessage } from './wire/frontend-messages.js'

/** Where it was before start-up had a file of its own. */
export { parseServerVersion }

const closeTimeoutMs = 5_000

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
  private readonly channel: QueryChannel

  private constructor(
    private readonly socket: Socket,
    private readonly source: BackendMessageSource,
    private readonly messages: AsynchronousMessages,
    authenticationMethod: string,
    private readonly logger: Logger,
  ) {
    this.parameters = messages.parameters
    this.authenticationMethod = authenticationMethod
    this.tls = isTls(socket)
    this.serverVersion = parseServerVersion(this.parameters.get('server_version') ?? '')
    this.channel = { socket, source, messages }
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
      const secured = keep(await negotiateTls(plain, options))
      const source = new BackendMessageSource(secured)
      const messages = new AsynchronousMessages(logger)
      const authenticationMethod = await startUp(secured, source, messages, options)
      return new ReplicationConnection(keep(secured), source, messages, authenticationMethod, logger)
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

  /** Runs SQL or a replication command with the simple query protocol; returns the last result's text. */
  query(sql: string): Promise<QueryResult> {
    return this.exclusive(() => simpleQuery(this.channel, sql))
  }

  async identifySystem(): Promise<IdentifySystemResult> {
    return identifySystemResult((await this.query('IDENTIFY_SYSTEM')).rows)
  }

  /**
   * CREATE_REPLICATION_SLOT name [TEMPORARY] LOGICAL pgoutput. No snapshot is exported unless
   * asked (a snapshot is only usable on this connection before its next command). `failover`
   * (PostgreSQL 17) lets a standby running sync_replication_slots keep a copy of the slot.
   */
  async createReplicationSlot(
    name: string,
    options: CreateReplicationSlotOptions = {},
  ): Promise<CreateReplicationSlotResult> {
    const command = createReplicationSlotCommand(name, options, this.serverVersion)
    return createReplicationSlotResult((await this.query(command)).rows)
  }

  async dropReplicationSlot(name: string, options: { wait?: boolean } = {}): Promise<void> {
    await this.query(dropReplicationSlotCommand(name, options))
  }

  /** The START_REPLICATION command for these options, after checking the server supports them. */
  startReplicationCommand(options: StartReplicationOptions): string {
    return startReplicationCommand(options, this.serverVersion)
  }

  /** START_REPLICATION SLOT ... LOGICAL: from here on the connection belongs to the stream. */
  startReplication(options: StartReplicationOptions): Promise<ReplicationStream> {
    return this.exclusive(async () => {
      const command = this.startReplicationCommand(options)
      const maxMessageBytes = resolveMaxMessageBytes(options.maxMessageBytes)
      await startCopyBoth(this.channel, command, `START_REPLICATION SLOT ${options.slot}`)
      // From here a larger pgoutput message is read past rather than held, and nothing else may be
      // larger than the cap (or the default, whichever is more).
      this.source.setLimits(
        Math.max(maxMessageBytes, defaultMaxMessageBytes),
        maxMessageBytes + xlogDataHeaderSize,
      )
      this.logger.info({ slot: options.slot, command }, 'replication started')
      this.stream = new ReplicationStreamImpl(
        this.source,
        (bytes) => {
          if (!this.socket.destroyed) this.socket.write(bytes)
        },
        () => this.endSocket(),
        new PgoutputDecoder(),
        this.messages,
        {
          statusIntervalMs: options.statusIntervalMs ?? 10_000,
          confirmIntervalMs: options.confirmIntervalMs ?? 0,
          silenceTimeoutMs: options.silenceTimeoutMs ?? 60_000,
          maxMessageBytes,
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
