import postgres from 'postgres'
import type { PostgresService } from './services.js'
import { uniqueName } from './unique-name.js'

/** A fresh database on the server, so a test's slots, publications and tables are its own. */
export async function createDatabase(
  server: PostgresService,
  label = 'test',
): Promise<{ name: string; url: string }> {
  const name = uniqueName(label)
  const sql = postgres(server.url, { max: 1, onnotice: () => {} })
  try {
    await sql`create database ${sql(name)}`
  } finally {
    await sql.end()
  }
  return { name, url: server.urlFor(name) }
}
