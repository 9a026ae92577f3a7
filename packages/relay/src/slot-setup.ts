import { PostgresError, parseLsn, type ReplicationConnection, sqlIdentifier, sqlLiteral } from '@factlib/wal'
import type { Logger } from './logger.js'
import type { MissingSlotGuard } from './missing-slot.js'

const duplicateObject = '42710'
const objectInUse = '55006'
/** Failover slots: CREATE_REPLICATION_SLOT ... (FAILOVER) and ALTER_REPLICATION_SLOT. */
const failoverSlotVersion = 170000

export class SlotSetupError extends Error {
  override readonly name = 'SlotSetupError'
}

/**
 * The publication (with no tables: facts are logical decoding messages and need none) and the
 * pgoutput slot, created when missing. Both creations tolerate a concurrent owlpost doing the same.
 * A role with REPLICATION can create the slot; creating the publication needs CREATE on the
 * database, or an administrator can create it beforehand (see the README).
 *
 * On PostgreSQL 17 the slot is a failover slot unless `failover` is false (an existing one is
 * switched over), so a standby with sync_replication_slots keeps it through promotion. A missing
 * slot is created only after `guard` agrees: a new slot starts at the current WAL position and
 * never sees what was committed before.
 */
export async function ensurePublicationAndSlot(
  connection: ReplicationConnection,
  names: { publication: string; slot: string },
  logger: Logger,
  slotOptions: { failover?: boolean; guard?: MissingSlotGuard; confirmedBefore?: bigint } = {},
): Promise<void> {
  const failover = (slotOptions.failover ?? true) && connection.serverVersion >= failoverSlotVersion
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
  const failoverColumn = connection.serverVersion >= failoverSlotVersion ? 'failover::text' : 'null'
  const slot = await connection.query(
    `select plugin, slot_type, database, ${failoverColumn} from pg_catalog.pg_replication_slots where slot_name = ${sqlLiteral(names.slot)}`,
  )
  const row = slot.rows[0]
  if (!row) {
    if (slotOptions.guard) {
      const system = await connection.identifySystem()
      const current = await connection.query('select pg_catalog.pg_current_wal_lsn()::text')
      await slotOptions.guard({
        slot: names.slot,
        serverVersion: connection.serverVersion,
        systemId: system.systemId,
        timeline: system.timeline,
        currentWalLsn: parseLsn(current.rows[0]?.[0] ?? '0/0'),
        confirmedBefore: slotOptions.confirmedBefore ?? 0n,
      })
    }
    try {
      const created = await connection.createReplicationSlot(names.slot, { failover })
      logger.info(
        { slot: names.slot, consistentPoint: created.consistentPoint.toString(), failover },
        'created replication slot',
      )
    } catch (error) {
      if (!(error instanceof PostgresError && error.code === duplicateObject)) throw error
    }
    return
  }
  const [plugin, slotType, , isFailover] = row
  if (slotType !== 'logical' || plugin !== 'pgoutput') {
    throw new SlotSetupError(
      `replication slot "${names.slot}" exists but is a ${slotType} slot of plugin ${plugin}; owlpost needs a logical pgoutput slot`,
    )
  }
  if (failover && isFailover === 'false') await makeFailoverSlot(connection, names.slot, logger)
}

/** A slot made before failover slots were asked for becomes one; another relay using it defers that to it. */
async function makeFailoverSlot(
  connection: ReplicationConnection,
  slot: string,
  logger: Logger,
): Promise<void> {
  try {
    // The name passed the slot-name pattern (a-z, 0-9, _), so it needs no quoting.
    await connection.query(`ALTER_REPLICATION_SLOT ${slot} (FAILOVER true)`)
    logger.info({ slot }, 'replication slot is now a failover slot')
  } catch (error) {
    if (!(error instanceof PostgresError && error.code === objectInUse)) {
      throw new SlotSetupError(
        `cannot make replication slot "${slot}" a failover slot: ${(error as Error).message}`,
        {
          cause: error,
        },
      )
    }
  }
}
