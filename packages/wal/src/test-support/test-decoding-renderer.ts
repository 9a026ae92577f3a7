import type { PgoutputMessage, RelationMessage, Tuple } from '../pgoutput-messages.js'
import { sqlLiteral } from '../sql-text.js'

/**
 * Renders decoded pgoutput changes the way PostgreSQL's test_decoding plugin prints them
 * ('include-xids' on, 'skip-empty-xacts' on), so decoded streams can be compared line by line with
 * the oracle captured from the same WAL.
 */

const builtinTypeNames = new Map<number, string>([
  [16, 'boolean'],
  [17, 'bytea'],
  [20, 'bigint'],
  [21, 'smallint'],
  [23, 'integer'],
  [25, 'text'],
  [26, 'oid'],
  [700, 'real'],
  [701, 'double precision'],
  [1009, 'text[]'],
  [1184, 'timestamp with time zone'],
  [1700, 'numeric'],
  [3802, 'jsonb'],
])

/** Types test_decoding prints without quotes (its print_literal). */
const unquotedTypes = new Set([20, 21, 23, 26, 700, 701, 1700])
const booleanType = 16

export interface RenderedRow {
  text: string
  xid: number
}

export class TestDecodingRenderer {
  private readonly typeNames = new Map(builtinTypeNames)
  private currentXid = 0
  private beganCurrent = false
  readonly rows: RenderedRow[] = []

  /** Feeds one decoded message; `xid` is the transaction the change belongs to. */
  accept(message: PgoutputMessage, xid: number): void {
    switch (message.tag) {
      case 'type':
        this.typeNames.set(message.typeOid, message.name)
        return
      case 'begin':
        this.currentXid = message.xid
        this.beganCurrent = false
        return
      case 'commit':
        if (this.beganCurrent) this.rows.push({ text: `COMMIT ${this.currentXid}`, xid: this.currentXid })
        this.beganCurrent = false
        return
      case 'message': {
        const content = printableContent(message.content)
        this.rows.push({
          text: `message: transactional: ${message.transactional ? 1 : 0} prefix: ${message.prefix}, sz: ${message.content.length} content:${content}`,
          xid,
        })
        return
      }
      case 'insert':
        this.change(
          `table ${qualified(message.relation)}: INSERT: ${this.tuple(message.relation, message.new, false)}`,
          xid,
        )
        return
      case 'update': {
        const old = message.key ?? message.old
        const prefix = old ? `old-key: ${this.tuple(message.relation, old, true)} new-tuple: ` : ''
        this.change(
          `table ${qualified(message.relation)}: UPDATE: ${prefix}${this.tuple(message.relation, message.new, false)}`,
          xid,
        )
        return
      }
      case 'delete': {
        const old = message.key ?? message.old
        const tuple = old ? this.tuple(message.relation, old, true) : '(no-tuple-data)'
        this.change(`table ${qualified(message.relation)}: DELETE: ${tuple}`, xid)
        return
      }
      case 'truncate': {
        const names = message.relations.map((relation) => (relation ? qualified(relation) : '?')).join(', ')
        const options = [message.restartIdentity ? 'restart_seqs' : '', message.cascade ? 'cascade' : '']
          .filter((option) => option)
          .join(' ')
        this.change(`table ${names}: TRUNCATE: ${options || '(no-flags)'}`, xid)
        return
      }
      default:
        return
    }
  }

  /** test_decoding writes BEGIN only before a transaction's first row change. */
  private change(text: string, xid: number): void {
    if (!this.beganCurrent) {
      this.rows.push({ text: `BEGIN ${this.currentXid}`, xid: this.currentXid })
      this.beganCurrent = true
    }
    this.rows.push({ text, xid })
  }

  private tuple(relation: RelationMessage, tuple: Tuple, skipNulls: boolean): string {
    const parts: string[] = []
    tuple.forEach((value, index) => {
      const column = relation.columns[index]!
      if (skipNulls && value.tag === 'null') return
      const typeName = this.typeNames.get(column.typeOid) ?? `oid ${column.typeOid}`
      parts.push(`${column.name}[${typeName}]:${literal(column.typeOid, value)}`)
    })
    return parts.join(' ')
  }
}

function qualified(relation: RelationMessage): string {
  return `${relation.namespace}.${relation.name}`
}

function literal(typeOid: number, value: Tuple[number]): string {
  switch (value.tag) {
    case 'null':
      return 'null'
    case 'unchanged':
      return 'unchanged-toast-datum'
    case 'binary':
      return `(binary ${value.value.length} bytes)`
    case 'text':
      if (unquotedTypes.has(typeOid)) return value.value
      if (typeOid === booleanType) return value.value === 't' ? 'true' : 'false'
      return sqlLiteral(value.value)
  }
}

/**
 * test_decoding appends the raw content bytes; the captured text holds them up to the first NUL and
 * only as far as they are valid UTF-8, so render the same prefix.
 */
function printableContent(content: Uint8Array): string {
  const nul = content.indexOf(0)
  const head = nul < 0 ? content : content.subarray(0, nul)
  const text = new TextDecoder('utf-8').decode(head)
  const invalid = text.indexOf('\uFFFD')
  return invalid < 0 ? text : text.slice(0, invalid)
}
