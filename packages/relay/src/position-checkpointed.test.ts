import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { CheckpointedPosition } from './position.js'

// A model relay drives a checkpointed Position (the exactly-once Kafka sink's) through random
// interleavings: transactions read message by message (some empty, some in parts), keepalives, the
// handler committing at random whole-transaction boundaries or, like the sink splitting a
// transaction too large for one Kafka transaction, at a fact inside a transaction (a checkpoint
// inside it), and the handler losing what it had not committed (an aborted Kafka transaction),
// after which the relay resumes from the handler's checkpoint and PostgreSQL resends everything
// after the confirmed position. Invariants: the confirmed position never leads the handler's
// checkpoint's end; every fact is committed exactly once, in WAL order.

interface Transaction {
  commitLsn: bigint
  endLsn: bigint
  facts: { id: number; lsn: bigint }[]
}

interface Unit {
  lsn: bigint
  complete: boolean
  commitLsn: bigint
  facts: { id: number; lsn: bigint }[]
}

/** What the handler holds durably: like the sink's checkpoint record. */
interface Checkpoint {
  endLsn: bigint
  inside?: { commitLsn: bigint; factLsn: bigint }
}

type Item = { tag: 'fact'; id: number; lsn: bigint; commitLsn: bigint } | { tag: 'end'; lsn: bigint }

/**
 * Like the exactly-once sink: takes units into a queue of facts and whole-transaction ends,
 * commits a prefix of it ending at an end or, split, at a fact of a transaction; may lose the rest.
 */
class CheckpointedHandler {
  pending: Item[] = []
  checkpoint: Checkpoint = { endLsn: 0n }
  readonly committed: number[] = []
  constructor(readonly position: CheckpointedPosition) {}
  take(unit: Unit): void {
    this.position.handed(0, unit.lsn, unit.complete)
    for (const fact of unit.facts) this.pending.push({ tag: 'fact', ...fact, commitLsn: unit.commitLsn })
    if (unit.complete) this.pending.push({ tag: 'end', lsn: unit.lsn })
  }
  /** Commits up to the newest whole-transaction end it holds. */
  commit(): void {
    const last = this.pending.findLastIndex((item) => item.tag === 'end')
    if (last >= 0) this.#commitPrefix(last + 1)
  }
  /** Commits up to the `pick`th (modulo) fact it holds, inside its transaction. */
  split(pick: number): void {
    const facts = this.pending.flatMap((item, index) => (item.tag === 'fact' ? [index] : []))
    if (facts.length > 0) this.#commitPrefix(facts[pick % facts.length]! + 1)
  }
  lose(): void {
    this.pending = []
  }
  #commitPrefix(length: number): void {
    const prefix = this.pending.splice(0, length)
    let endLsn = this.checkpoint.endLsn
    for (const item of prefix) {
      if (item.tag === 'fact') this.committed.push(item.id)
      else endLsn = item.lsn
    }
    const last = prefix.at(-1)!
    this.checkpoint =
      last.tag === 'end' ? { endLsn } : { endLsn, inside: { commitLsn: last.commitLsn, factLsn: last.lsn } }
    // The sink reports its end LSN only: a split does not move it past a transaction not whole.
    this.position.delivered(0, endLsn)
  }
}

type Step = 'read' | 'keepalive' | 'commit' | 'split' | 'lose'

const walArbitrary = fc
  .array(fc.nat({ max: 7 }), { minLength: 1, maxLength: 30 })
  .map((sizes): Transaction[] => {
    let id = 0
    return sizes.map((size, index) => {
      const commitLsn = BigInt(100 + index * 100)
      // Each message its own increasing LSN, below its transaction's commit record.
      const facts = Array.from({ length: size }, (_, n) => ({ id: id++, lsn: commitLsn - 50n + BigInt(n) }))
      return { commitLsn, endLsn: commitLsn + 10n, facts }
    })
  })

/** The stream PostgreSQL sends: a Begin, the facts, a Commit, per transaction. */
type Message =
  | { tag: 'begin'; tx: Transaction }
  | { tag: 'fact'; tx: Transaction; fact: { id: number; lsn: bigint } }
  | { tag: 'commit'; tx: Transaction }

function messagesOf(wal: Transaction[]): Message[] {
  return wal.flatMap((tx): Message[] => [
    { tag: 'begin', tx },
    ...tx.facts.map((fact) => ({ tag: 'fact' as const, tx, fact })),
    { tag: 'commit', tx },
  ])
}

function run(wal: Transaction[], steps: Array<[Step, number]>, maxChunk: number) {
  const position = new CheckpointedPosition(0n)
  const handler = new CheckpointedHandler(position)
  const messages = messagesOf(wal)
  let cursor = 0
  let open: { handOver: boolean; facts: { id: number; lsn: bigint }[] } | undefined
  const resume = () => {
    position.connectionLost()
    open = undefined
    position.resume(handler.checkpoint)
    // PostgreSQL resends every transaction ending after the slot's confirmed position.
    cursor = messages.findIndex((m) => m.tag === 'begin' && m.tx.endLsn > position.confirmed)
    if (cursor < 0) cursor = messages.length
  }
  resume()
  const read = () => {
    const message = messages[cursor++]
    if (!message) return
    const tx = message.tx
    if (message.tag === 'begin') {
      open = { handOver: position.begin(tx.commitLsn), facts: [] }
    } else if (message.tag === 'fact') {
      if (!open!.handOver || !position.handsFact(message.fact.lsn)) return
      if (open!.facts.length === maxChunk) {
        handler.take({
          lsn: position.unitLsn(),
          complete: false,
          commitLsn: tx.commitLsn,
          facts: open!.facts,
        })
        open!.facts = []
      }
      open!.facts.push(message.fact)
    } else {
      // A checkpointed position hands every commit that is not a replay, facts or not.
      const { handOver, facts } = open!
      if (handOver) handler.take({ lsn: tx.endLsn, complete: true, commitLsn: tx.commitLsn, facts })
      position.commit(tx.commitLsn, tx.endLsn, handOver)
      open = undefined
    }
  }
  const check = () => {
    expect(position.confirmed).toBeLessThanOrEqual(handler.checkpoint.endLsn)
    // Nothing committed twice, at any moment.
    expect(new Set(handler.committed).size).toBe(handler.committed.length)
  }
  for (const [step, pick] of steps) {
    if (step === 'read') read()
    else if (step === 'keepalive') {
      if (!position.inTransaction) {
        const walEnd = (messages[cursor - 1]?.tx.endLsn ?? 0n) + 1n
        if (position.idleAdvance(walEnd))
          handler.take({ lsn: walEnd, complete: true, commitLsn: 0n, facts: [] })
      }
    } else if (step === 'commit') handler.commit()
    else if (step === 'split') handler.split(pick)
    else {
      handler.lose()
      resume()
    }
    check()
  }
  while (cursor < messages.length) read()
  handler.commit()
  check()
  return { position, handler }
}

describe('Position, checkpointed', () => {
  it('never confirms past the checkpoint, and every fact is committed exactly once', () => {
    fc.assert(
      fc.property(
        walArbitrary,
        fc.array(
          fc.tuple(
            fc.constantFrom<Step>(
              'read',
              'read',
              'read',
              'read',
              'read',
              'keepalive',
              'commit',
              'split',
              'lose',
            ),
            fc.nat({ max: 20 }),
          ),
          { maxLength: 300 },
        ),
        fc.integer({ min: 1, max: 4 }),
        (wal, steps, maxChunk) => {
          const { position, handler } = run(wal, steps, maxChunk)
          const all = wal.flatMap((tx) => tx.facts.map((fact) => fact.id))
          expect(handler.committed).toEqual(all)
          expect(position.confirmed).toBeGreaterThanOrEqual(wal.at(-1)!.endLsn)
        },
      ),
      { numRuns: 1_000 },
    )
  })

  it('does not confirm keepalives or fact-less commits on its own', () => {
    const position = new CheckpointedPosition(0n)
    expect(position.begin(100n)).toBe(true)
    position.commit(100n, 110n, false)
    expect(position.confirmed).toBe(0n)
    // It has no way to be told of idle WAL but handing it to the handler.
    expect('keepalive' in position).toBe(false)
    expect('idle' in position).toBe(false)
    expect(position.idleAdvance(500n)).toBe(true)
    position.handed(0, 500n, true)
    expect(position.confirmed).toBe(0n)
    position.delivered(0, 500n)
    expect(position.confirmed).toBe(500n)
  })

  it('after resume, skips what the checkpoint holds and hands the rest again', () => {
    const position = new CheckpointedPosition(0n)
    position.begin(100n)
    position.handed(0, 110n, true)
    position.commit(100n, 110n, true)
    position.begin(200n)
    position.handed(0, 210n, true)
    position.commit(200n, 210n, true)
    // The handler committed the first transaction only, then lost the second.
    position.delivered(0, 110n)
    position.connectionLost()
    position.resume({ endLsn: 110n })
    expect(position.confirmed).toBe(110n)
    expect(position.begin(100n)).toBe(false)
    position.commit(100n, 110n, false)
    expect(position.begin(200n)).toBe(true)
    expect(position.unitLsn()).toBe(110n)
  })

  it('after resume inside a transaction, hands that transaction from the fact after the checkpoint', () => {
    const position = new CheckpointedPosition(0n)
    position.resume({ endLsn: 110n, inside: { commitLsn: 300n, factLsn: 260n } })
    expect(position.confirmed).toBe(110n)
    // A fact emitted outside any transaction and streamed before that transaction's Begin was
    // committed with its first part; one streamed after its Commit was not.
    expect(position.handsFact(150n)).toBe(false)
    expect(position.begin(300n)).toBe(true)
    expect(position.unitLsn()).toBe(110n)
    expect([250n, 260n, 261n, 270n].map((lsn) => position.handsFact(lsn))).toEqual([false, false, true, true])
    position.handed(0, 310n, true)
    position.commit(300n, 310n, true)
    // A delivered report of the end LSN alone (a partial checkpoint) does not move it.
    position.delivered(0, 110n)
    expect(position.confirmed).toBe(110n)
    expect(position.handsFact(350n)).toBe(true)
    expect(position.begin(400n)).toBe(true)
    expect(position.handsFact(360n)).toBe(true)
    position.delivered(0, 310n)
    expect(position.confirmed).toBe(310n)
    expect(() => position.resume({ endLsn: 500n, inside: { commitLsn: 400n, factLsn: 390n } })).toThrow(
      RangeError,
    )
  })
})
