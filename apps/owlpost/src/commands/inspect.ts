import { ReplicationConnection } from '@factlib/wal'
import { readSlotStatus, type SlotStatus } from '../operations/slot-status.js'

/** `owlpost inspect`: the slot, the publication, the confirmed position and the lag, as JSON. */
export async function inspectSlot(options: {
  databaseUrl: string
  slot: string
  publication: string
}): Promise<SlotStatus> {
  const connection = await ReplicationConnection.connect({
    connectionString: options.databaseUrl,
    applicationName: 'owlpost-inspect',
  })
  try {
    return await readSlotStatus(connection, options)
  } finally {
    await connection.close().catch(() => undefined)
  }
}
