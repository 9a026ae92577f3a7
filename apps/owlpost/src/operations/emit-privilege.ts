import type { ReplicationConnection } from '@factlib/wal'

/** Who besides the producers may emit facts: whether PUBLIC can execute pg_logical_emit_message. */
export interface EmitPrivilege {
  /** True when any role that can log in may emit a message under any prefix, facts included. */
  publicCanExecute: boolean
  /** The overloads PUBLIC can execute, as regprocedure text, for the REVOKE. */
  publicOverloads: string[]
}

/**
 * PostgreSQL grants EXECUTE on pg_logical_emit_message to PUBLIC by default, so any role that can
 * log in can forge a fact under any prefix. Every overload counts: two on PostgreSQL 15 and 16
 * (text and bytea content), the same two with a `flush` argument on 17.
 */
export async function readEmitPrivilege(connection: ReplicationConnection): Promise<EmitPrivilege> {
  const { rows } = await connection.query(
    `select p.oid::regprocedure::text
       from pg_catalog.pg_proc p
      where p.proname = 'pg_logical_emit_message'
        and p.pronamespace = 'pg_catalog'::regnamespace
        and has_function_privilege('public', p.oid, 'execute')
      order by 1`,
  )
  const publicOverloads = rows.map((row) => row[0] ?? '')
  return { publicCanExecute: publicOverloads.length > 0, publicOverloads }
}

/** The statement that closes it, for logs and `owlpost inspect`. */
export function revokeStatement(privilege: EmitPrivilege): string {
  return `REVOKE EXECUTE ON FUNCTION ${privilege.publicOverloads.join(', ')} FROM PUBLIC;`
}
