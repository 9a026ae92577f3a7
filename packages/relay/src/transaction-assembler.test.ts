import type { PgoutputMessage } from '@factlib/wal'
import { describe, expect, it } from 'vitest'
import { CheckpointedPosition, PlainPosition } from './position.js'
import {
  type AssemblerOutput,
  nonTransactionalReason,
  TransactionAssembler,
} from './transaction-assembler.js'

const bytes = (text: string) => new TextEncoder().encode(text)
const begin = (finalLsn: bigint): PgoutputMessage => ({ tag: 'begin', finalLsn, commitTime: 0n, xid: 1 })
const commit = (commitLsn: bigint, endLsn: bigint): PgoutputMessage => ({
  tag: 'commit',
  flags: 0,
  commitLsn,
  endLsn,
  commitTime: 0n,
})
const message = (lsn: bigint, prefix: string, text: string, transactional = true): PgoutputMessage => ({
  tag: 'message',
  transactional,
  lsn,
  prefix,
  content: bytes(text),
})

/** Feeds messages; a commit is recorded in the position as the relay would, with its facts handed. */
function feed(
  assembler: TransactionAssembler,
  position: PlainPosition | CheckpointedPosition,
  messages: PgoutputMessage[],
) {
  const out: AssemblerOutput[] = []
  for (const m of messages) {
    const output = assembler.accept(m)
    if (!output) continue
    out.push(output)
    if (output.tag === 'commit') {
      if (output.transaction) position.handed(0, output.endLsn, true)
      const handed = output.transaction !== undefined
      if (position.kind === 'plain') position.commit(output.commitLsn, output.endLsn, handed, false)
      else position.commit(output.commitLsn, output.endLsn, handed)
    }
  }
  return out
}

function setup(prefixes: string[], maxChunkFacts?: number) {
  const position = new PlainPosition(1)
  return { position, assembler: new TransactionAssembler(new Set(prefixes), position, maxChunkFacts) }
}

describe('TransactionAssembler', () => {
  it("groups the prefixes' facts per transaction, tagged with the commit end LSN", () => {
    const { assembler, position } = setup(['orders', 'billing'])
    const out = feed(assembler, position, [
      begin(0x200n),
      message(0x110n, 'orders', 'a'),
      message(0x120n, 'other', 'ignored'),
      message(0x130n, 'billing', 'b'),
      commit(0x200n, 0x228n),
    ])
    expect(out).toHaveLength(1)
    const [only] = out
    if (only?.tag !== 'commit') throw new Error('expected a commit')
    expect(only.transaction?.endLsn).toBe(0x228n)
    expect(only.transaction?.complete).toBe(true)
    expect(
      only.transaction?.facts.map((fact) => [fact.prefix, new TextDecoder().decode(fact.value)]),
    ).toEqual([
      ['orders', 'a'],
      ['billing', 'b'],
    ])
  })

  it('reports a transaction without facts as a commit with nothing to hand over', () => {
    const { assembler, position } = setup(['orders'])
    expect(
      feed(assembler, position, [begin(0x10n), message(0x8n, 'other', 'x'), commit(0x10n, 0x38n)]),
    ).toEqual([{ tag: 'commit', commitLsn: 0x10n, endLsn: 0x38n, replay: false, transaction: undefined }])
  })

  it('hands a non-transactional message on at once, marked, without moving the position', () => {
    const { assembler, position } = setup(['orders'])
    feed(assembler, position, [begin(0x10n), commit(0x10n, 0x38n)])
    const [only] = feed(assembler, position, [message(0x40n, 'orders', 'escaped', false)])
    if (only?.tag !== 'part') throw new Error('expected a part')
    expect(only.transaction.endLsn).toBe(0x38n)
    expect(only.transaction.complete).toBe(false)
    expect(only.transaction.facts[0]?.deadLetterReason).toBe(nonTransactionalReason)
  })

  it('hands a large transaction on in parts; only the last carries its end LSN', () => {
    const { assembler, position } = setup(['p'], 2)
    feed(assembler, position, [begin(0x10n), commit(0x10n, 0x20n)])
    const out = feed(assembler, position, [
      begin(0x100n),
      ...[1, 2, 3, 4, 5].map((n) => message(BigInt(0x20 + n), 'p', String(n))),
      commit(0x100n, 0x120n),
    ])
    expect(
      out.map((o) => [o.transaction?.endLsn, o.transaction?.complete, o.transaction?.facts.length]),
    ).toEqual([
      [0x20n, false, 2],
      [0x20n, false, 2],
      [0x120n, true, 1],
    ])
    expect(position.inTransaction).toBe(false)
  })

  it('skips transactions replayed after a reconnect that were handed in full', () => {
    const { assembler, position } = setup(['p'])
    const first = [begin(0x100n), message(0x90n, 'p', 'one'), commit(0x100n, 0x128n)]
    feed(assembler, position, first)
    assembler.resetConnection()
    position.connectionLost()
    const replay = feed(assembler, position, [
      ...first,
      begin(0x200n),
      message(0x190n, 'p', 'two'),
      commit(0x200n, 0x228n),
    ])
    expect(replay.map((o) => o.tag === 'commit' && [o.replay, o.transaction?.facts.length])).toEqual([
      [true, undefined],
      [false, 1],
    ])
  })

  it('hands again a transaction that was only partly handed before the connection dropped', () => {
    const { assembler, position } = setup(['p'], 1)
    feed(assembler, position, [begin(0x100n), message(0x90n, 'p', 'a'), message(0x91n, 'p', 'b')])
    expect(position.inTransaction).toBe(true)
    assembler.resetConnection()
    position.connectionLost()
    const again = feed(assembler, position, [
      begin(0x100n),
      message(0x90n, 'p', 'a'),
      message(0x91n, 'p', 'b'),
      commit(0x100n, 0x128n),
    ])
    expect(again.flatMap((o) => o.transaction?.facts ?? [])).toHaveLength(2)
  })

  describe('a message over the reader cap', () => {
    const oversized = (lsn: bigint, prefix: string | undefined, transactional = true): PgoutputMessage => ({
      tag: 'oversized',
      type: 'M',
      byteLength: 300 * 1024 * 1024 + 40,
      maxMessageBytes: 8 * 1024 * 1024,
      logical: {
        transactional,
        lsn,
        prefix,
        contentLength: 300 * 1024 * 1024,
        contentHead: bytes('junk'),
        contentSha256: 'ab'.repeat(32),
      },
    })

    it('becomes a fact without a value, dead-lettered in its place between the good ones', () => {
      const { assembler, position } = setup(['p'])
      const out = feed(assembler, position, [
        begin(0x200n),
        message(0x110n, 'p', 'good-1'),
        oversized(0x120n, 'p'),
        message(0x130n, 'p', 'good-2'),
        commit(0x200n, 0x228n),
      ])
      const facts = out.flatMap((o) => o.transaction?.facts ?? [])
      expect(
        facts.map((fact) => [fact.lsn, fact.value.byteLength, fact.deadLetterReason !== undefined]),
      ).toEqual([
        [0x110n, 6, false],
        [0x120n, 0, true],
        [0x130n, 6, false],
      ])
      const big = facts[1]!
      expect(big.omitted).toEqual({
        byteLength: 300 * 1024 * 1024,
        sha256: 'ab'.repeat(32),
        head: bytes('junk'),
      })
      expect(big.deadLetterReason).toMatch(/314572800 bytes at 0\/120 .*maxMessageBytes \(8388608/)
    })

    it('outside a transaction says both reasons', () => {
      const { assembler, position } = setup(['p'])
      const [out] = feed(assembler, position, [oversized(0x120n, 'p', false)])
      const reason = out?.transaction?.facts[0]?.deadLetterReason
      expect(reason).toMatch(/^message too large/)
      expect(reason).toContain(nonTransactionalReason)
    })

    it('is ignored under another prefix, under a prefix too long to read, and when it is a row', () => {
      const { assembler, position } = setup(['p'])
      const row: PgoutputMessage = { tag: 'oversized', type: 'I', byteLength: 1e9, maxMessageBytes: 1e6 }
      const out = feed(assembler, position, [
        begin(0x200n),
        oversized(0x110n, 'other'),
        oversized(0x120n, undefined),
        row,
        commit(0x200n, 0x228n),
      ])
      expect(out.flatMap((o) => o.transaction?.facts ?? [])).toEqual([])
    })
  })

  it('after a checkpoint inside a transaction, hands its facts after the checkpoint, parts naming their commit', () => {
    const position = new CheckpointedPosition(0n)
    const assembler = new TransactionAssembler(new Set(['orders']), position, 2)
    position.resume({ endLsn: 0x100n, inside: { commitLsn: 0x200n, factLsn: 0x120n } })
    const out = feed(assembler, position, [
      begin(0x200n),
      message(0x110n, 'orders', 'a'),
      message(0x120n, 'orders', 'b'),
      message(0x130n, 'orders', 'c'),
      message(0x140n, 'orders', 'd'),
      message(0x150n, 'orders', 'e'),
      commit(0x200n, 0x228n),
    ])
    const handed = out.flatMap((o) => (o.transaction ? [o.transaction] : []))
    expect(handed.map((tx) => [tx.complete, tx.endLsn, tx.commitLsn, tx.facts.map((f) => f.lsn)])).toEqual([
      [false, 0x100n, 0x200n, [0x130n, 0x140n]],
      [true, 0x228n, 0x200n, [0x150n]],
    ])
  })
})
