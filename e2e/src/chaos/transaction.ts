import postgres from 'postgres'

/**
 * Whether an error means the connection is gone (or going: admin or crash shutdown), so nothing
 * more may be sent on it.
 */
function connectionLost(error: unknown): boolean {
  if (!(error instanceof postgres.PostgresError)) return true
  return error.code.startsWith('57') || error.code.startsWith('08')
}

export interface TransactionScope {
  connection: postgres.ReservedSql
  /** The connection as the executor `producer.emit` takes. */
  executor: { query(text: string, params: unknown[]): Promise<unknown> }
}

/**
 * BEGIN, `work`, then COMMIT or ROLLBACK as `work` decides, on one reserved connection.
 *
 * Not `sql.begin`: after a connection dies mid-transaction, postgres.js 3.4.9's begin sends
 * ROLLBACK on the dead connection, which schedules a write on a null socket and throws an
 * uncaught TypeError (connection.js:255, nextWrite). Here nothing more is sent, and the
 * connection is not released, once it is lost; the server has rolled back anyway. `commitSent` is called just before
 * COMMIT goes out, so the caller knows when the outcome becomes uncertain.
 */
export async function inTransaction(
  sql: postgres.Sql,
  work: (scope: TransactionScope) => Promise<'commit' | 'rollback'>,
  commitSent: () => void = () => {},
): Promise<'committed' | 'rolled back'> {
  const connection = await sql.reserve()
  const executor = {
    query: (text: string, params: unknown[]) =>
      connection.unsafe(text, params as postgres.ParameterOrJSON<never>[], { prepare: true }),
  }
  let lost = false
  try {
    await connection`begin`
    const decision = await work({ connection, executor })
    if (decision === 'rollback') {
      await connection`rollback`
      return 'rolled back'
    }
    commitSent()
    await connection`commit`
    return 'committed'
  } catch (error) {
    if (connectionLost(error)) {
      lost = true
    } else {
      await connection`rollback`.catch(() => {})
    }
    throw error
  } finally {
    // The pool already took a lost connection back as closed (and reconnects it on demand);
    // releasing it would put the dead connection in the open queue and the next query on it
    // would hang and crash.
    if (!lost) connection.release()
  }
}
