import { BufferReader } from './buffer-reader.js'
import type {
  DeleteMessage,
  InsertMessage,
  LogicalMessage,
  PgoutputMessage,
  RelationColumn,
  RelationMessage,
  StreamAbortMessage,
  TruncateMessage,
  Tuple,
  TupleValue,
  UpdateMessage,
} from './pgoutput-messages.js'
import { decodeOversizedHead, type OversizedHead } from './pgoutput-oversized.js'
import {
  ColumnKind,
  columnKeyFlag,
  messageTransactionalFlag,
  PgoutputTagByte as Tag,
  TruncateOption,
  TupleMarker,
} from './pgoutput-tags.js'

const nullValue: TupleValue = Object.freeze({ tag: 'null' })
const unchangedValue: TupleValue = Object.freeze({ tag: 'unchanged' })

/** Field names per tuple, built once so the hot loop does not build strings. */
const tupleFields = {
  key: { count: 'key.count', kind: 'key.kind', length: 'key.length', value: 'key.value' },
  old: { count: 'old.count', kind: 'old.kind', length: 'old.length', value: 'old.value' },
  new: { count: 'new.count', kind: 'new.kind', length: 'new.length', value: 'new.value' },
} as const

/** Size of the optional v4 fields of Stream Abort (abort LSN and abort time). */
const streamAbortParallelFieldsSize = 16

/**
 * Decodes pgoutput messages (protocol versions 1 to 4), one XLogData payload at a time.
 *
 * It keeps only the state the protocol needs: whether it is inside a stream block (where data
 * messages carry an xid) and the relations described so far, so that row changes carry their
 * relation. Use one decoder per replication stream. Throws only PgoutputDecodeError.
 */
export class PgoutputDecoder {
  private readonly reader = new BufferReader()
  private readonly relations = new Map<number, RelationMessage>()
  private streaming = false

  /** Whether a Stream Start was decoded without its Stream Stop yet. */
  get inStreamBlock(): boolean {
    return this.streaming
  }

  /** The relation last described under this id, if any. */
  relation(relationId: number): RelationMessage | undefined {
    return this.relations.get(relationId)
  }

  decode(data: Uint8Array): PgoutputMessage {
    const reader = this.reader
    reader.reset(data, 'unknown')
    const tag = reader.uint8('tag')
    switch (tag) {
      case Tag.message:
        return this.message(reader)
      case Tag.insert:
        return this.insert(reader)
      case Tag.update:
        return this.update(reader)
      case Tag.delete:
        return this.delete(reader)
      case Tag.begin:
        reader.messageType = 'begin'
        return {
          tag: 'begin',
          finalLsn: reader.uint64('finalLsn'),
          commitTime: reader.int64('commitTime'),
          xid: reader.uint32('xid'),
        }
      case Tag.commit:
        reader.messageType = 'commit'
        return {
          tag: 'commit',
          flags: reader.uint8('flags'),
          commitLsn: reader.uint64('commitLsn'),
          endLsn: reader.uint64('endLsn'),
          commitTime: reader.int64('commitTime'),
        }
      case Tag.origin:
        reader.messageType = 'origin'
        return { tag: 'origin', originLsn: reader.uint64('originLsn'), name: reader.cstring('name') }
      case Tag.relation:
        return this.relationMessage(reader)
      case Tag.type: {
        reader.messageType = 'type'
        const xid = this.streamXid(reader)
        return {
          tag: 'type',
          ...(xid === undefined ? {} : { xid }),
          typeOid: reader.uint32('typeOid'),
          namespace: reader.cstring('namespace'),
          name: reader.cstring('name'),
        }
      }
      case Tag.truncate:
        return this.truncate(reader)
      case Tag.streamStart: {
        reader.messageType = 'stream_start'
        const message = {
          tag: 'stream_start' as const,
          xid: reader.uint32('xid'),
          firstSegment: reader.uint8('firstSegment') === 1,
        }
        this.streaming = true
        return message
      }
      case Tag.streamStop:
        reader.messageType = 'stream_stop'
        this.streaming = false
        return { tag: 'stream_stop' }
      case Tag.streamCommit:
        reader.messageType = 'stream_commit'
        return {
          tag: 'stream_commit',
          xid: reader.uint32('xid'),
          flags: reader.uint8('flags'),
          commitLsn: reader.uint64('commitLsn'),
          endLsn: reader.uint64('endLsn'),
          commitTime: reader.int64('commitTime'),
        }
      case Tag.streamAbort:
        return this.streamAbort(reader)
      case Tag.beginPrepare:
        reader.messageType = 'begin_prepare'
        return {
          tag: 'begin_prepare',
          prepareLsn: reader.uint64('prepareLsn'),
          endLsn: reader.uint64('endLsn'),
          prepareTime: reader.int64('prepareTime'),
          xid: reader.uint32('xid'),
          gid: reader.cstring('gid'),
        }
      case Tag.prepare:
      case Tag.streamPrepare: {
        const name = tag === Tag.prepare ? 'prepare' : 'stream_prepare'
        reader.messageType = name
        return {
          tag: name,
          flags: reader.uint8('flags'),
          prepareLsn: reader.uint64('prepareLsn'),
          endLsn: reader.uint64('endLsn'),
          prepareTime: reader.int64('prepareTime'),
          xid: reader.uint32('xid'),
          gid: reader.cstring('gid'),
        }
      }
      case Tag.commitPrepared:
        reader.messageType = 'commit_prepared'
        return {
          tag: 'commit_prepared',
          flags: reader.uint8('flags'),
          commitLsn: reader.uint64('commitLsn'),
          endLsn: reader.uint64('endLsn'),
          commitTime: reader.int64('commitTime'),
          xid: reader.uint32('xid'),
          gid: reader.cstring('gid'),
        }
      case Tag.rollbackPrepared:
        reader.messageType = 'rollback_prepared'
        return {
          tag: 'rollback_prepared',
          flags: reader.uint8('flags'),
          prepareEndLsn: reader.uint64('prepareEndLsn'),
          rollbackEndLsn: reader.uint64('rollbackEndLsn'),
          prepareTime: reader.int64('prepareTime'),
          rollbackTime: reader.int64('rollbackTime'),
          xid: reader.uint32('xid'),
          gid: reader.cstring('gid'),
        }
      default:
        return reader.fail('tag', `unknown message tag 0x${tag.toString(16).padStart(2, '0')}`, 0)
    }
  }

  /**
   * Reads the head of a message too large to hold (the first bytes of a `byteLength`-byte message
   * that exceeded `maxMessageBytes`). Uses this decoder's state: inside a stream block an xid
   * precedes the rest. Only a logical message's header is read in full; other types give their
   * type and xid. An oversized Relation is not cached, so changes to its table that follow fail.
   */
  decodeOversized(head: Uint8Array, byteLength: number, maxMessageBytes: number): OversizedHead {
    return decodeOversizedHead(this.reader, head, byteLength, maxMessageBytes, this.streaming)
  }

  /** Inside a stream block, data messages start with the xid of the streamed transaction. */
  private streamXid(reader: BufferReader): number | undefined {
    return this.streaming ? reader.uint32('xid') : undefined
  }

  private message(reader: BufferReader): LogicalMessage {
    reader.messageType = 'message'
    const xid = this.streamXid(reader)
    const flags = reader.uint8('flags')
    const lsn = reader.uint64('lsn')
    const prefix = reader.repeatedCstring('prefix')
    const content = reader.bytesView(reader.int32('content.length'), 'content')
    const message: LogicalMessage = {
      tag: 'message',
      transactional: (flags & messageTransactionalFlag) !== 0,
      lsn,
      prefix,
      content,
    }
    if (xid !== undefined) message.xid = xid
    return message
  }

  private relationMessage(reader: BufferReader): RelationMessage {
    reader.messageType = 'relation'
    const xid = this.streamXid(reader)
    const relationId = reader.uint32('relationId')
    const namespace = reader.cstring('namespace')
    const name = reader.cstring('name')
    const replicaIdentity = String.fromCharCode(reader.uint8('replicaIdentity'))
    const count = reader.int16('columns.count')
    if (count < 0) reader.fail('columns.count', `negative column count ${count}`, reader.offset - 2)
    const columns: RelationColumn[] = new Array(count)
    for (let index = 0; index < count; index++) {
      const flags = reader.uint8('column.flags')
      columns[index] = {
        name: reader.cstring('column.name'),
        typeOid: reader.uint32('column.typeOid'),
        typeMod: reader.int32('column.typeMod'),
        isKey: (flags & columnKeyFlag) !== 0,
      }
    }
    const relation: RelationMessage = {
      tag: 'relation',
      relationId,
      namespace,
      name,
      replicaIdentity,
      columns,
    }
    if (xid !== undefined) relation.xid = xid
    this.relations.set(relationId, relation)
    return relation
  }

  private knownRelation(reader: BufferReader): RelationMessage {
    const offset = reader.offset
    const relationId = reader.uint32('relationId')
    const relation = this.relations.get(relationId)
    if (relation === undefined) {
      reader.fail('relationId', `relation ${relationId} was not described by a Relation message`, offset)
    }
    return relation
  }

  private insert(reader: BufferReader): InsertMessage {
    reader.messageType = 'insert'
    const xid = this.streamXid(reader)
    const relation = this.knownRelation(reader)
    const markerOffset = reader.offset
    if (reader.uint8('newTupleMarker') !== TupleMarker.new) {
      reader.fail('newTupleMarker', "expected 'N'", markerOffset)
    }
    const message: InsertMessage = {
      tag: 'insert',
      relationId: relation.relationId,
      relation,
      new: this.tuple(reader, 'new'),
    }
    if (xid !== undefined) message.xid = xid
    return message
  }

  private update(reader: BufferReader): UpdateMessage {
    reader.messageType = 'update'
    const xid = this.streamXid(reader)
    const relation = this.knownRelation(reader)
    const message: UpdateMessage = { tag: 'update', relationId: relation.relationId, relation, new: [] }
    if (xid !== undefined) message.xid = xid
    let markerOffset = reader.offset
    let marker = reader.uint8('tupleMarker')
    if (marker === TupleMarker.key) message.key = this.tuple(reader, 'key')
    else if (marker === TupleMarker.old) message.old = this.tuple(reader, 'old')
    if (marker !== TupleMarker.new) {
      markerOffset = reader.offset
      marker = reader.uint8('newTupleMarker')
    }
    if (marker !== TupleMarker.new) reader.fail('newTupleMarker', "expected 'N'", markerOffset)
    message.new = this.tuple(reader, 'new')
    return message
  }

  private delete(reader: BufferReader): DeleteMessage {
    reader.messageType = 'delete'
    const xid = this.streamXid(reader)
    const relation = this.knownRelation(reader)
    const message: DeleteMessage = { tag: 'delete', relationId: relation.relationId, relation }
    if (xid !== undefined) message.xid = xid
    const markerOffset = reader.offset
    const marker = reader.uint8('tupleMarker')
    if (marker === TupleMarker.key) message.key = this.tuple(reader, 'key')
    else if (marker === TupleMarker.old) message.old = this.tuple(reader, 'old')
    else reader.fail('tupleMarker', "expected 'K' or 'O'", markerOffset)
    return message
  }

  private tuple(reader: BufferReader, which: 'key' | 'old' | 'new'): Tuple {
    const field = tupleFields[which]
    const count = reader.int16(field.count)
    if (count < 0) reader.fail(field.count, `negative column count ${count}`, reader.offset - 2)
    const values: Tuple = new Array(count)
    for (let index = 0; index < count; index++) {
      const kindOffset = reader.offset
      const kind = reader.uint8(field.kind)
      switch (kind) {
        case ColumnKind.text: {
          const length = reader.int32(field.length)
          values[index] = { tag: 'text', value: reader.text(length, field.value) }
          break
        }
        case ColumnKind.null:
          values[index] = nullValue
          break
        case ColumnKind.unchanged:
          values[index] = unchangedValue
          break
        case ColumnKind.binary: {
          const length = reader.int32(field.length)
          values[index] = { tag: 'binary', value: reader.bytesView(length, field.value) }
          break
        }
        default:
          reader.fail(field.kind, `unknown column kind 0x${kind.toString(16)} of column ${index}`, kindOffset)
      }
    }
    return values
  }

  private truncate(reader: BufferReader): TruncateMessage {
    reader.messageType = 'truncate'
    const xid = this.streamXid(reader)
    const count = reader.int32('relations.count')
    if (count < 0) reader.fail('relations.count', `negative relation count ${count}`, reader.offset - 4)
    const options = reader.uint8('options')
    // Check the whole id list fits before allocating for a count that may be garbage.
    if (count * 4 > reader.remaining) {
      reader.fail('relationIds', `needs ${count * 4} byte(s) but only ${reader.remaining} remain`)
    }
    const relationIds: number[] = new Array(count)
    const relations: (RelationMessage | undefined)[] = new Array(count)
    for (let index = 0; index < count; index++) {
      const relationId = reader.uint32('relationIds')
      relationIds[index] = relationId
      relations[index] = this.relations.get(relationId)
    }
    const message: TruncateMessage = {
      tag: 'truncate',
      cascade: (options & TruncateOption.cascade) !== 0,
      restartIdentity: (options & TruncateOption.restartIdentity) !== 0,
      relationIds,
      relations,
    }
    if (xid !== undefined) message.xid = xid
    return message
  }

  private streamAbort(reader: BufferReader): StreamAbortMessage {
    reader.messageType = 'stream_abort'
    const message: StreamAbortMessage = {
      tag: 'stream_abort',
      xid: reader.uint32('xid'),
      subXid: reader.uint32('subXid'),
    }
    if (reader.remaining >= streamAbortParallelFieldsSize) {
      message.abortLsn = reader.uint64('abortLsn')
      message.abortTime = reader.int64('abortTime')
    }
    return message
  }
}
