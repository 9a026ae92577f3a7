import { randomBytes } from 'node:crypto'
import { type CreatedAtUnit, decodeEnvelope, envelopeToJson } from '@factlib/core/wire'
import { formatLsn, ReplicationConnection, sqlIdentifier, sqlLiteral } from '@factlib/wal'

export interface TailOptions {
  databaseUrl: string
  prefixes: readonly string[]
  publication: string
  payload: 'base64' | 'json'
  /** The unit `createdAtIso` reads created_at in; the raw value is printed as well. */
  createdAtUnit?: CreatedAtUnit
  limit?: number
  write?: (line: string) => void
  signal?: AbortSignal
}

/**
 * `owlpost tail`: facts as JSON lines from a temporary slot, no Kafka involved. The slot
 * disappears with the connection, so tailing never pins WAL or disturbs the relay's slot.
 * It starts at the moment it connects: it shows new facts, not history.
 */
export async function tailFacts(options: TailOptions): Promise<number> {
  const write = options.write ?? ((line: string) => process.stdout.write(`${line}\n`))
  const prefixes = new Set(options.prefixes)
  const connection = await ReplicationConnection.connect({
    connectionString: options.databaseUrl,
    applicationName: 'owlpost-tail',
  })
  let printed = 0
  try {
    const exists = await connection.query(
      `select 1 from pg_catalog.pg_publication where pubname = ${sqlLiteral(options.publication)}`,
    )
    if (exists.rows.length === 0)
      await connection.query(`create publication ${sqlIdentifier(options.publication)}`)
    const slot = `owlpost_tail_${randomBytes(4).toString('hex')}`
    await connection.createReplicationSlot(slot, { temporary: true })
    const stream = await connection.startReplication({
      slot,
      publicationNames: [options.publication],
      protoVersion: 1,
      messages: true,
    })
    const stop = () => void stream.close().catch(() => undefined)
    options.signal?.addEventListener('abort', stop, { once: true })
    for await (const event of stream) {
      if (event.tag === 'keepalive') {
        stream.acknowledge(event.walEnd)
        continue
      }
      const message = event.message
      if (message.tag !== 'message' || !prefixes.has(message.prefix)) continue
      write(
        JSON.stringify(
          describeFact(message.prefix, message.lsn, message.transactional, message.content, options),
        ),
      )
      stream.acknowledge(event.walEnd)
      printed++
      if (options.limit !== undefined && printed >= options.limit) break
    }
    options.signal?.removeEventListener('abort', stop)
    await stream.close().catch(() => undefined)
  } finally {
    await connection.close().catch(() => undefined)
  }
  return printed
}

function describeFact(
  prefix: string,
  lsn: bigint,
  transactional: boolean,
  content: Uint8Array,
  options: TailOptions,
): Record<string, unknown> {
  const where = { prefix, lsn: formatLsn(lsn), transactional }
  try {
    return {
      ...where,
      fact: envelopeToJson(decodeEnvelope(content), {
        payload: options.payload,
        createdAtUnit: options.createdAtUnit ?? 'nanoseconds',
      }),
    }
  } catch (error) {
    return { ...where, error: (error as Error).message, bytes: Buffer.from(content).toString('base64') }
  }
}
