import { readEnvelopeHeader } from '@factlib/core'
import { ReplicationConnection } from '@factlib/wal'

/** Microseconds between the Unix epoch and PostgreSQL's (2000-01-01 UTC). */
const postgresEpochMicros = 946_684_800_000_000n

/** A protocol timestamp (µs since 2000-01-01) as Unix milliseconds, keeping the sub-millisecond part. */
export function commitTimeMillis(micros: bigint): number {
  return Number(micros + postgresEpochMicros) / 1000
}

/**
 * Each fact's commit time as recorded in the WAL (the commit timestamp PostgreSQL wrote, carried
 * by pgoutput's Begin message), read from an observer slot of our own with @factlib/wal, after
 * the measured window so the observer adds no load during it. Unix epoch milliseconds, with
 * microsecond fractions.
 */
export async function readCommitTimes(options: {
  url: string
  slot: string
  publication: string
  prefix: string
  /** Stop after the transaction whose commit ends at or past this LSN. */
  untilLsn: bigint
  timeoutMs: number
}): Promise<Map<string, number>> {
  const commitTimes = new Map<string, number>()
  const connection = await ReplicationConnection.connect({
    connectionString: options.url,
    applicationName: 'bench-observer',
  })
  try {
    const stream = await connection.startReplication({
      slot: options.slot,
      publicationNames: [options.publication],
      protoVersion: 1,
      messages: true,
    })
    const timer = setTimeout(() => void stream.close().catch(() => undefined), options.timeoutMs)
    let commitMillis = 0
    try {
      for await (const event of stream) {
        if (event.tag === 'keepalive') {
          if (event.walEnd >= options.untilLsn) break
          continue
        }
        const message = event.message
        if (message.tag === 'begin') {
          commitMillis = commitTimeMillis(message.commitTime)
        } else if (message.tag === 'message' && message.prefix === options.prefix) {
          commitTimes.set(readEnvelopeHeader(message.content).id, commitMillis)
        } else if (message.tag === 'commit') {
          stream.acknowledge(message.endLsn)
          if (message.endLsn >= options.untilLsn) break
        }
      }
    } finally {
      clearTimeout(timer)
      await stream.close().catch(() => undefined)
    }
  } finally {
    await connection.close().catch(() => undefined)
  }
  return commitTimes
}
