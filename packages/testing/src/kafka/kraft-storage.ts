import { execFileSync } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { scramFormatArgs } from './server-properties.js'

/**
 * A KRaft cluster id: 16 random bytes, base64url without padding. One that starts with '-'
 * would be read as an option by the storage tool, so draw again.
 */
export function clusterId(): string {
  for (;;) {
    const id = Buffer.from(randomUUID().replaceAll('-', ''), 'hex').toString('base64url')
    if (!id.startsWith('-')) return id
  }
}

/** Formats a local node's KRaft storage for `clusterId`, with the SCRAM users the tests log in as. */
export function formatStorage(jvm: readonly string[], config: string, id: string): void {
  execFileSync(
    'java',
    [
      ...jvm,
      'kafka.tools.StorageTool',
      'format',
      '--config',
      config,
      '--cluster-id',
      id,
      ...scramFormatArgs(),
    ],
    { stdio: 'pipe' },
  )
}
