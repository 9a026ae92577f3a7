import { PostgresError, type ReplicationConnection, sqlIdentifier, sqlLiteral } from '@factlib/wal'
import type { Logger } from './logger.js'

const duplicateObject = '42710'

export class SlotSetupError extends Error {
  override readonly name = 'SlotSetupError'
}

/**
 * The publication (with no tables: facts are logical decoding messages and need none) and the
 * pgoutput slot, created when missing. Both creations tolerate a concurrent owlpost doing the same.
 * A role with REPLICATION can create the slot; creating the publication needs CREATE on the
 * database, or an administrator can create it beforehand (see the README).
 */
export async function ensurePublicationAndSlot(
  connection: ReplicationConnection,
  names: { publication: string; slot: string },
  logger: Logger,
): Promise<void> {
  const publication = await connection.query(
    `select 1 from pg_catalog.pg_publication where pubname = ${sqlLiteral(names.publication)}`,
  )
  if (publication.rows.length === 0) {
    try {
      await connection.query(`create publication ${sqlIdentifier(names.publication)}`)
      logger.info({ publication: names.publication }, 'created publication')
    } catch (error) {
      if (!(error instanceof PostgresError && error.code === duplicateObject)) {
        throw new SlotSetupError(
          `cannot create publication "${names.publication}": ${(error as Error).message}; ` +
            'grant CREATE on the database to the owlpost role, or create it once as an administrator: ' +
            `CREATE PUBLICATION ${names.publication};`,
          { cause: error },
        )
      }
    }
  }
  const slot = await connection.query(
    `select plugin, slot_type, database from pg_catalog.pg_replication_slots where slot_name = ${sqlLiteral(names.slot)}`,
  )
  const row = slot.rows[0]
  if (!row) {
    try {
      const created = await connection.createReplicationSlot(names.slot)
      logger.info(
        { slot: names.slot, consistentPoint: created.consistentPoint.toString() },
        'created replication slot',
      )
    } catch (error) {
      if (!(error instanceof PostgresError && error.code === duplicateObject)) throw error
    }
    return
  }
  const [plugin, slotType] = row
  if (slotType !== 'logical' || plugin !== 'pgoutput') {
    throw new SlotSetupError(
      `replication slot "${names.slot}" exists but is a ${slotType} slot of plugin ${plugin}; owlpost needs a logical pgoutput slot`,
    )
  }
}
