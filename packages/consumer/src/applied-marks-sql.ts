import { ConsumerConfigError } from './errors.js'

export const defaultMarksTable = 'factlib_consumer_applied'

/** Options every store takes. */
export interface AppliedMarksOptions {
  /** The marks table, optionally schema-qualified (`app.applied_facts`). Default `factlib_consumer_applied`. */
  table?: string
}

export interface AppliedMarksSql {
  readonly table: string
  /** Statements that create the table and its index when missing. */
  readonly create: readonly string[]
  /** `$1` group, `$2` key; inserts one row, or none when the fact is marked already. */
  readonly mark: string
  /** `$1` group, `$2` age in milliseconds, `$3` limit; deletes the oldest marks past that age. */
  readonly prune: string
}

const identifier = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/

/**
 * The statements of the applied-marks table. One row per fact applied by a consumer group,
 * keyed by (group, dedupe key); `applied_at` lets old marks be pruned by age.
 */
export function appliedMarksSql(options: AppliedMarksOptions = {}): AppliedMarksSql {
  const table = options.table ?? defaultMarksTable
  const parts = table.split('.')
  if (parts.length > 2 || !parts.every((part) => identifier.test(part))) {
    throw new ConsumerConfigError(
      'table',
      `'${table}' is not a table name (letters, digits and _, optionally schema.table)`,
    )
  }
  const quoted = parts.map((part) => `"${part}"`).join('.')
  const indexName = `"${parts.at(-1)!.slice(0, 55)}_age"`
  return {
    table,
    create: [
      `create table if not exists ${quoted} (
        consumer_group text not null,
        fact_key text not null,
        applied_at timestamptz not null default now(),
        primary key (consumer_group, fact_key)
      )`,
      `create index if not exists ${indexName} on ${quoted} (consumer_group, applied_at)`,
    ],
    mark: `insert into ${quoted} (consumer_group, fact_key) values ($1, $2) on conflict do nothing`,
    prune: `delete from ${quoted} where ctid = any (array(
      select ctid from ${quoted}
      where consumer_group = $1 and applied_at < now() - $2::bigint * interval '1 millisecond'
      order by applied_at limit $3))`,
  }
}

/**
 * Two consumers creating the table at the same moment: `if not exists` does not cover the race,
 * and the loser gets a unique violation on the catalogue (23505) or "already exists" (42P07).
 */
export function isCreateRace(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code
  return code === '23505' || code === '42P07'
}
