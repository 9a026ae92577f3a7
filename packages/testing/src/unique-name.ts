import { randomBytes } from 'node:crypto'

/** A name no other test uses: lower case, digits and underscores, valid for databases, slots and topics. */
export function uniqueName(label: string): string {
  const safe = label
    .toLowerCase()
    .replace(/[^a-z0-9_]/g, '_')
    .slice(0, 30)
  return `${safe}_${randomBytes(4).toString('hex')}`
}
