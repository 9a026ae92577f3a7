import postgres from 'postgres'

/** Thrown instead of sending a statement on a connection known to be gone. */
export class ConnectionLostError extends Error {
  override readonly name = 'ConnectionLostError'
}

export interface TransactionScope {
  /** Runs one statement of the transaction, refusing when the connection is gone. */
  run<T>(statement: (sql: postgres.Sql) => Promise<T>): Promise<T>
  /** The transaction as the executor `producer.emit` takes. */
  executor: { query(text: string, params: unknown[]): Promise<unknown> }
}

/**
 * One PostgreSQL connection for one sequential user (a writer), replaced whole after any failure.
 *
 * Why not `sql.begin` or `sql.reserve()` on a shared pool: postgres.js 3.4.9 keeps the connection
 * object after its socket closed, and a statement sent on it then either throws an uncaught
 * TypeError (connection.js:255, nextWrite on a null socket) or, when a write was pending at the
 * close, is buffered forever (closed() clears the write timer without forgetting it). `begin`
 * sends ROLLBACK on the dead connection after every restart; a reserved connection meets it when
 * the server closes it between two statements. So each session has a client of its own with one
 * connection, notices the close through `onclose`, sends nothing more once it happened, and throws
 * the client away.
 */
export class Session {
  private client: postgres.Sql | undefined
  private closed = false

  constructor(
    private readonly url: string,
    private readonly statementTimeoutMs = 30_000,
  ) {}

  private current(): postgres.Sql {
    if (this.client && !this.closed) return this.client
    this.discard()
    this.closed = false
    const client = postgres(this.url, {
      max: 1,
      connect_timeout: 60,
      onnotice: () => {},
      onclose: () => {
        if (this.client === client) this.closed = true
      },
    })
    this.client = client
    return client
  }

  /** Drops the client without waiting: its connection may be one that never answers. */
  discard(): void {
    const client = this.client
    this.client = undefined
    if (client) void client.end({ timeout: 0 }).catch(() => {})
  }

  async end(): Promise<void> {
    const client = this.client
    this.client = undefined
    await client?.end({ timeout: 1 }).catch(() => {})
  }

  /**
   * BEGIN, `work`, then COMMIT or ROLLBACK as `work` decides. `commitSent` is called just before
   * COMMIT goes out, from when on the outcome is uncertain until the ledger says. Any failure
   * throws the connection away.
   */
  async transaction(
    work: (scope: TransactionScope) => Promise<'commit' | 'rollback'>,
    commitSent: () => void = () => {},
  ): Promise<'committed' | 'rolled back'> {
    const sql = this.current()
    const run = async <T>(statement: (sql: postgres.Sql) => Promise<T>): Promise<T> => {
      if (this.closed || this.client !== sql)
        throw new ConnectionLostError('connection closed mid-transaction')
      let timer: NodeJS.Timeout | undefined
      try {
        return await Promise.race([
          statement(sql),
          new Promise<never>((_, reject) => {
            timer = setTimeout(
              () => reject(new ConnectionLostError(`no answer in ${this.statementTimeoutMs} ms`)),
              this.statementTimeoutMs,
            )
          }),
        ])
      } finally {
        clearTimeout(timer)
      }
    }
    const executor = {
      query: (text: string, params: unknown[]) =>
        run((client) => client.unsafe(text, params as postgres.ParameterOrJSON<never>[], { prepare: true })),
    }
    try {
      await run((client) => client`begin`)
      const decision = await work({ run, executor })
      if (decision === 'rollback') {
        await run((client) => client`rollback`)
        return 'rolled back'
      }
      commitSent()
      await run((client) => client`commit`)
      return 'committed'
    } catch (error) {
      this.discard()
      throw error
    }
  }
}
