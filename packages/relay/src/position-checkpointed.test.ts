import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { Position } from './position.js'

// A model relay drives a checkpointed Position (the exactly-once Kafka sink's) through random
// interleavings: transactions read (some empty, some in parts), keepalives, the handler committing
// at random whole-transaction boundaries, and the handler losing what it had not committed (an
// aborted Kafka transaction), after which the relay resumes from the handler's checkpoint and
// PostgreSQL resends everything after the confirmed position. Invariants: the confirmed position
// never leads the handler's checkpoint; every fact is committed exactly once.

interface Transaction {
  commitLsn: bigint
  endLsn: bigint
  facts: number[]
}

interface Unit {
  lsn: bigint
  complete: boolean
  facts: number[]
}

/** Like the exactly-once sink: takes units, commits only after a whole transaction, may lose all. */
class CheckpointedHandler {
  pending: Unit[] = []
  checkpoint = 0n
  readonly committed: number[] = []
  constructor(readonly position: Position) {}
  take(unit: Unit): void {
    this.position.handed(0, unit.lsn, unit.complete)
    this.pending.push(unit)
  }
  commit(): void {
    const last = this.pending.at(-1)
    if (!last?.complete) return
    for (const unit of this.pending) this.committed.push(...unit.facts)
    this.checkpoint = last.lsn
    this.pending = []
    this.position.delivered(0, this.checkpoint)
  }
  lose(): void {
    this.pending = []
  }
}

type Step = 'read' | 'keepalive' | 'commit' | 'lose'

const walArbitrary = fc
  .array(fc.nat({ max: 5 }), { minLength: 1, maxLength: 30 })
  .map((sizes): Transaction[] => {
    let id = 0
    return sizes.map((size, index) => ({
      commitLsn: BigInt(100 + index * 100),
      endLsn: BigInt(100 + index * 100 + 10),
      facts: Array.from({ length: size }, () => id++),
    }))
  })

function run(wal: Transaction[], steps: Step[], maxChunk: number) {
  const position = new Position(1, 0n, true)
  const handler = new CheckpointedHandler(position)
  let cursor = 0
  const resume = () => {
    position.connectionLost()
    position.resume(handler.checkpoint)
    // PostgreSQL resends every transaction ending after the slot's confirmed position.
    cursor = wal.findIndex((tx) => tx.endLsn > position.confirmed)
    if (cursor < 0) cursor = wal.length
  }
  resume()
  const read = () => {
    const tx = wal[cursor++]
    if (!tx) return
    const handOver = position.begin(tx.commitLsn)
    let open: number[] = []
    for (const fact of handOver ? tx.facts : []) {
      open.push(fact)
      if (open.length === maxChunk) {
        handler.take({ lsn: position.unitLsn(), complete: false, facts: open })
        open = []
      }
    }
    // A checkpointed position hands every commit that is not a replay, facts or not.
    if (handOver) handler.take({ lsn: tx.endLsn, complete: true, facts: open })
    position.commit(tx.commitLsn, tx.endLsn, handOver, false)
  }
  const check = () => {
    expect(position.confirmed).toBeLessThanOrEqual(handler.checkpoint)
  }
  for (const step of steps) {
    if (step === 'read') read()
    else if (step === 'keepalive') {
      const walEnd = (wal[cursor - 1]?.endLsn ?? 0n) + 1n
      if (position.idleAdvance(walEnd)) handler.take({ lsn: walEnd, complete: true, facts: [] })
    } else if (step === 'commit') handler.commit()
    else {
      handler.lose()
      resume()
    }
    check()
  }
  while (cursor < wal.length) read()
  handler.commit()
  check()
  return { position, handler }
}

describe('Position, checkpointed', () => {
  it('never confirms past the checkpoint, and every fact is committed exactly once', () => {
    fc.assert(
      fc.property(
        walArbitrary,
        fc.array(fc.constantFrom<Step>('read', 'read', 'read', 'keepalive', 'commit', 'lose'), {
          maxLength: 120,
        }),
        fc.integer({ min: 1, max: 4 }),
        (wal, steps, maxChunk) => {
          const { position, handler } = run(wal, steps, maxChunk)
          const all = wal.flatMap((tx) => tx.facts)
          expect(handler.committed).toEqual(all)
          expect(position.confirmed).toBeGreaterThanOrEqual(wal.at(-1)!.endLsn)
        },
      ),
      { numRuns: 500 },
    )
  })

  it('does not confirm keepalives or fact-less commits on its own', () => {
    const position = new Position(1, 0n, true)
    expect(position.begin(100n)).toBe(true)
    position.commit(100n, 110n, false, true)
    position.keepalive(500n, true)
    position.idle(0)
    expect(position.confirmed).toBe(0n)
    expect(position.idleAdvance(500n)).toBe(true)
    position.handed(0, 500n, true)
    expect(position.confirmed).toBe(0n)
    position.delivered(0, 500n)
    expect(position.confirmed).toBe(500n)
  })

  it('after resume, skips what the checkpoint holds and hands the rest again', () => {
    const position = new Position(1, 0n, true)
    position.begin(100n)
    position.handed(0, 110n, true)
    position.commit(100n, 110n, true, false)
    position.begin(200n)
    position.handed(0, 210n, true)
    position.commit(200n, 210n, true, false)
    // The handler committed the first transaction only, then lost the second.
    position.delivered(0, 110n)
    position.connectionLost()
    position.resume(110n)
    expect(position.confirmed).toBe(110n)
    expect(position.begin(100n)).toBe(false)
    position.commit(100n, 110n, false, false)
    expect(position.begin(200n)).toBe(true)
    expect(position.unitLsn()).toBe(110n)
  })
})
