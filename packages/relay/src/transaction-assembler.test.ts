import type { PgoutputMessage } from '@factlib/wal'
import { describe, expect, it } from 'vitest'
import { nonTransactionalReason, TransactionAssembler } from './transaction-assembler.js'

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

function transactionsOf(assembler: TransactionAssembler, messages: PgoutputMessage[]) {
  return messages.flatMap((m) => assembler.accept(m))
}

describe('TransactionAssembler', () => {
  it('groups our facts per transaction, tagged with the commit end LSN', () => {
    const assembler = new TransactionAssembler(new Set(['orders', 'billing']))
    const out = transactionsOf(assembler, [
      begin(0x200n),
      message(0x110n, 'orders', 'a'),
      message(0x120n, 'other', 'ignored'),
      message(0x130n, 'billing', 'b'),
      commit(0x200n, 0x228n),
    ])
    expect(out).toHaveLength(1)
    const [first] = out
    expect(first?.kind).toBe('transaction')
    if (first?.kind !== 'transaction') return
    expect(first.transaction.endLsn).toBe(0x228n)
    expect(
      first.transaction.facts.map((fact) => [fact.prefix, new TextDecoder().decode(fact.value)]),
    ).toEqual([
      ['orders', 'a'],
      ['billing', 'b'],
    ])
  })

  it('reports a transaction without facts as an empty commit', () => {
    const assembler = new TransactionAssembler(new Set(['orders']))
    expect(
      transactionsOf(assembler, [begin(0x10n), message(0x8n, 'other', 'x'), commit(0x10n, 0x38n)]),
    ).toEqual([{ kind: 'empty-commit', endLsn: 0x38n }])
  })

  it('dead-letters a non-transactional message under our prefix without moving the position', () => {
    const assembler = new TransactionAssembler(new Set(['orders']))
    transactionsOf(assembler, [begin(0x10n), commit(0x10n, 0x38n)])
    const out = transactionsOf(assembler, [message(0x40n, 'orders', 'escaped', false)])
    expect(out).toHaveLength(1)
    const [only] = out
    if (only?.kind !== 'transaction') throw new Error('expected a transaction')
    expect(only.transaction.endLsn).toBe(0x38n)
    expect(only.transaction.facts[0]?.deadLetterReason).toBe(nonTransactionalReason)
  })

  it('chunks a large transaction; only the last chunk carries its end LSN', () => {
    const assembler = new TransactionAssembler(new Set(['p']), 2)
    transactionsOf(assembler, [begin(0x10n), commit(0x10n, 0x20n)])
    const out = transactionsOf(assembler, [
      begin(0x100n),
      ...[1, 2, 3, 4, 5].map((n) => message(BigInt(0x20 + n), 'p', String(n))),
      commit(0x100n, 0x120n),
    ])
    const sent = out.flatMap((o) => (o.kind === 'transaction' ? [o.transaction] : []))
    expect(sent.map((t) => [t.endLsn, t.facts.length])).toEqual([
      [0x20n, 2],
      [0x20n, 2],
      [0x120n, 1],
    ])
    expect(assembler.inTransaction).toBe(false)
  })

  it('skips transactions replayed after a reconnect that the sink already holds in full', () => {
    const assembler = new TransactionAssembler(new Set(['p']))
    const first = [begin(0x100n), message(0x90n, 'p', 'one'), commit(0x100n, 0x128n)]
    transactionsOf(assembler, first)
    assembler.resetConnection()
    const replay = transactionsOf(assembler, [
      ...first,
      begin(0x200n),
      message(0x190n, 'p', 'two'),
      commit(0x200n, 0x228n),
    ])
    expect(replay).toHaveLength(1)
    expect(replay[0]?.kind === 'transaction' && replay[0].transaction.endLsn).toBe(0x228n)
  })

  it('replays a transaction that was only partly handed over before the connection dropped', () => {
    const assembler = new TransactionAssembler(new Set(['p']), 1)
    transactionsOf(assembler, [begin(0x100n), message(0x90n, 'p', 'a'), message(0x91n, 'p', 'b')])
    expect(assembler.inTransaction).toBe(true)
    assembler.resetConnection()
    expect(assembler.inTransaction).toBe(false)
    const again = transactionsOf(assembler, [
      begin(0x100n),
      message(0x90n, 'p', 'a'),
      message(0x91n, 'p', 'b'),
      commit(0x100n, 0x128n),
    ])
    expect(again.flatMap((o) => (o.kind === 'transaction' ? o.transaction.facts : []))).toHaveLength(2)
  })
})
