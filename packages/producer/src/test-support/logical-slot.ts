import postgres from 'postgres'

/** One pgoutput logical decoding message ('M'), decoded by hand for the tests. */
export interface SlotMessage {
  xid: string
  transactional: boolean
  prefix: string
  content: Uint8Array
}

/** The transactions in a slot, in commit order, with their logical messages in WAL order. */
export interface SlotTransaction {
  xid: string
  messages: SlotMessage[]
}

/**
 * A pgoutput slot in the test's own database. Read with pg_logical_slot_get_binary_changes,
 * which consumes what it returns.
 */
export class LogicalSlot {
  private constructor(
    private readonly sql: postgres.Sql,
    readonly name: string,
    private readonly publication: string,
  ) {}

  static async create(url: string, name: string): Promise<LogicalSlot> {
    const sql = postgres(url, { max: 1, onnotice: () => {} })
    const publication = `${name}_pub`
    await sql`create publication ${sql(publication)}`
    await sql`select pg_create_logical_replication_slot(${name}, 'pgoutput')`
    return new LogicalSlot(sql, name, publication)
  }

  async readTransactions(): Promise<SlotTransaction[]> {
    const rows = await this.sql<{ xid: string; data: Uint8Array }[]>`
      select xid::text as xid, data from pg_logical_slot_get_binary_changes(
        ${this.name}, null, null,
        'proto_version', '1', 'publication_names', ${this.publication}, 'messages', 'true')`
    const transactions: SlotTransaction[] = []
    let current: SlotTransaction | undefined
    for (const row of rows) {
      const data = row.data
      switch (String.fromCharCode(data[0]!)) {
        case 'B':
          current = { xid: row.xid, messages: [] }
          break
        case 'C':
          if (current) transactions.push(current)
          current = undefined
          break
        case 'M': {
          const message = decodeMessage(row.xid, data)
          if (current) current.messages.push(message)
          else transactions.push({ xid: row.xid, messages: [message] }) // non-transactional
          break
        }
      }
    }
    return transactions
  }

  async readMessages(): Promise<SlotMessage[]> {
    return (await this.readTransactions()).flatMap((transaction) => transaction.messages)
  }

  async dispose(): Promise<void> {
    await this.sql`select pg_drop_replication_slot(${this.name})`
    await this.sql.end()
  }
}

/** pgoutput 'M': Byte1('M') Int8(flags) Int64(lsn) String(prefix) Int32(length) Byte[length]. */
function decodeMessage(xid: string, data: Uint8Array): SlotMessage {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength)
  const flags = view.getUint8(1)
  let position = 1 + 1 + 8
  const prefixEnd = data.indexOf(0, position)
  const prefix = new TextDecoder().decode(data.subarray(position, prefixEnd))
  position = prefixEnd + 1
  const length = view.getInt32(position)
  position += 4
  return { xid, transactional: (flags & 1) === 1, prefix, content: data.slice(position, position + length) }
}
