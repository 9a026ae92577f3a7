import { describe, expect, it } from 'vitest'
import { formatLsn } from './lsn.js'
import { PgoutputDecoder } from './pgoutput-decoder.js'
import type { PgoutputMessage } from './pgoutput-messages.js'
import {
  type CapturedStream,
  loadCapturedStream,
  loadTestDecodingOracle,
} from './test-support/captured-vectors.js'
import { type RenderedRow, TestDecodingRenderer } from './test-support/test-decoding-renderer.js'

function decodeAll(
  name: CapturedStream,
): { row: ReturnType<typeof loadCapturedStream>[number]; message: PgoutputMessage }[] {
  const decoder = new PgoutputDecoder()
  return loadCapturedStream(name).map((row) => ({ row, message: decoder.decode(row.data) }))
}

const oracle = loadTestDecodingOracle()

describe('captured pgoutput v1 (PostgreSQL 15.18)', () => {
  const decoded = decodeAll('pgoutput-v1')

  it('decodes every row', () => {
    expect(decoded.length).toBe(1073)
    const tags = new Set(decoded.map(({ message }) => message.tag))
    expect([...tags].sort()).toEqual(
      [
        'begin',
        'commit',
        'delete',
        'insert',
        'message',
        'origin',
        'relation',
        'truncate',
        'type',
        'update',
      ].sort(),
    )
  })

  it('agrees with test_decoding row by row: values, prefixes, contents, flags, xids and LSNs', () => {
    const renderer = new TestDecodingRenderer()
    const lsns: string[] = []
    for (const { row, message } of decoded) {
      const before = renderer.rows.length
      renderer.accept(message, row.xid)
      for (let index = before; index < renderer.rows.length; index++) lsns.push(row.lsn)
    }
    expect(renderer.rows.map((rendered) => rendered.text)).toEqual(oracle.map((row) => row.text))
    expect(renderer.rows.map((rendered) => rendered.xid)).toEqual(oracle.map((row) => row.xid))
    // Row changes and messages sit at the same WAL position in both plugins' output.
    const changeLsns = (rows: { text: string }[], all: string[]) =>
      all.filter((_, index) => !/^(BEGIN|COMMIT) /.test(rows[index]!.text))
    expect(changeLsns(renderer.rows, lsns)).toEqual(
      changeLsns(
        oracle,
        oracle.map((row) => row.lsn),
      ),
    )
  })

  it('gives begin/commit the LSNs the server reports and message LSNs equal to their rows', () => {
    for (const { row, message } of decoded) {
      if (message.tag === 'begin') expect(message.xid).toBe(row.xid)
      if (message.tag === 'commit') expect(formatLsn(message.endLsn)).toBe(row.lsn)
      if (message.tag === 'message') expect(formatLsn(message.lsn)).toBe(row.lsn)
    }
  })

  it('carries the relation on every row change and the origin of a replicated transaction', () => {
    for (const { message } of decoded) {
      if (message.tag === 'insert' || message.tag === 'update' || message.tag === 'delete') {
        expect(message.relation.relationId).toBe(message.relationId)
        expect(message.relation.columns.length).toBeGreaterThanOrEqual(message.tag === 'delete' ? 1 : 2)
      }
    }
    const origin = decoded.find(({ message }) => message.tag === 'origin')!.message
    expect(origin).toMatchObject({ tag: 'origin', name: 'upstream-a', originLsn: 0xaabbccddn })
    const relation = decoded.find(({ message }) => message.tag === 'relation')!.message
    expect(relation).toMatchObject({ namespace: 'public', name: 't1', replicaIdentity: 'd' })
    if (relation.tag !== 'relation') throw new Error('unreachable')
    expect(relation.columns[0]).toEqual({ name: 'id', typeOid: 23, typeMod: -1, isKey: true })
    expect(relation.columns[2]).toEqual({
      name: 'amount',
      typeOid: 1700,
      typeMod: (12 << 16) + 2 + 4,
      isKey: false,
    })
  })

  it('returns message content as a view into the input, without copying', () => {
    const decoder = new PgoutputDecoder()
    const row = loadCapturedStream('pgoutput-v1').find((candidate) => candidate.data[0] === 0x4d)!
    const message = decoder.decode(row.data)
    if (message.tag !== 'message') throw new Error('expected a message')
    expect(message.content.buffer).toBe(row.data.buffer)
    expect(Buffer.from(message.content).toString('hex')).toBe('0a0568656c6c6f00ff')
  })
})

describe('captured pgoutput v2 with streaming', () => {
  const decoded = decodeAll('pgoutput-v2-streaming')

  it('decodes every row, with xids on data messages only inside stream blocks', () => {
    expect(decoded.length).toBe(1958)
    let inBlock = false
    let streamXid = 0
    for (const { row, message } of decoded) {
      if (message.tag === 'stream_start') {
        inBlock = true
        streamXid = message.xid
        expect(message.xid).toBe(row.xid)
      } else if (message.tag === 'stream_stop') inBlock = false
      else if ('relationId' in message || message.tag === 'message' || message.tag === 'truncate') {
        if (inBlock) expect(message.xid).toBe(streamXid)
        else expect(message.xid).toBeUndefined()
      }
    }
    const tags = decoded.map(({ message }) => message.tag)
    expect(tags.filter((tag) => tag === 'stream_start').length).toBe(6)
    expect(tags).toContain('stream_commit')
    expect(tags).toContain('stream_abort')
  })

  it('agrees with test_decoding once streamed transactions are replayed at commit and dropped at abort', () => {
    const renderer = new TestDecodingRenderer()
    const streamed = new Map<number, PgoutputMessage[]>()
    for (const { row, message } of decoded) {
      if (message.tag === 'stream_commit') {
        renderer.accept(
          { tag: 'begin', xid: message.xid, finalLsn: message.commitLsn, commitTime: 0n },
          message.xid,
        )
        for (const change of streamed.get(message.xid) ?? []) renderer.accept(change, message.xid)
        renderer.accept(
          { tag: 'commit', flags: 0, commitLsn: message.commitLsn, endLsn: message.endLsn, commitTime: 0n },
          message.xid,
        )
        streamed.delete(message.xid)
      } else if (message.tag === 'stream_abort') {
        expect(streamed.has(message.xid)).toBe(true)
        streamed.delete(message.xid)
      } else if (
        'xid' in message &&
        message.xid !== undefined &&
        !['stream_start', 'begin'].includes(message.tag)
      ) {
        const changes = streamed.get(message.xid) ?? []
        changes.push(message)
        streamed.set(message.xid, changes)
      } else renderer.accept(message, row.xid)
    }
    expect(streamed.size).toBe(0)
    const texts = (rows: { text: string }[]) => rows.map((row) => row.text)
    expect(texts(renderer.rows)).toEqual(texts(oracle))
    expect(renderer.rows.map((row: RenderedRow) => row.xid)).toEqual(oracle.map((row) => row.xid))
  })
})

describe('captured pgoutput v1, messages only (publication without tables)', () => {
  it('holds exactly the logical messages test_decoding saw, with their transactional flags', () => {
    const decoded = decodeAll('pgoutput-v1-messages-only')
    const messages = decoded.filter(({ message }) => message.tag === 'message')
    const oracleMessages = oracle.filter((row) => row.text.startsWith('message: '))
    expect(messages.length).toBe(oracleMessages.length)
    const renderer = new TestDecodingRenderer()
    for (const { row, message } of messages) renderer.accept(message, row.xid)
    expect(renderer.rows.map((row) => row.text)).toEqual(oracleMessages.map((row) => row.text))
    expect(messages.map(({ row }) => [row.lsn, row.xid])).toEqual(
      oracleMessages.map((row) => [row.lsn, row.xid]),
    )
    const big = messages.find(({ message }) => message.tag === 'message' && message.content.length === 70000)!
    if (big.message.tag !== 'message') throw new Error('unreachable')
    expect(big.message.content.every((byte) => byte === 0xab)).toBe(true)
    expect(decoded.every(({ message }) => ['begin', 'commit', 'message'].includes(message.tag))).toBe(true)
  })
})
