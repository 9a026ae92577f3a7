import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { PlainPosition } from './position.js'

// A model relay drives the Position through random interleavings of what a real one meets: reading
// transactions (some empty, some in chunks, some split across handlers) and facts outside any
// transaction, keepalives, handlers acknowledging facts in any order, and reconnects that replay
// from the confirmed position. After every step no undelivered fact may lie at or before the
// confirmed position; at the end, with everything delivered, an idle keepalive is confirmed.

interface WalTransaction {
  tag: 'transaction'
  commitLsn: bigint
  endLsn: bigint
  /** The handler of each fact, in WAL order. */
  facts: { id: number; handler: number }[]
}
interface WalOutsideFact {
  tag: 'outside'
  lsn: bigint
  fact: { id: number; handler: number }
}
type WalItem = WalTransaction | WalOutsideFact

const endOf = (item: WalItem) => (item.tag === 'transaction' ? item.endLsn : item.lsn)

interface Unit {
  lsn: bigint
  complete: boolean
  facts: number[]
  settled: boolean[]
}

/** A handler like the Kafka sink: settles facts in any order, reports cumulatively in handing order. */
class ModelHandler {
  readonly units: Unit[] = []
  #prefix = 0
  constructor(
    readonly index: number,
    readonly position: PlainPosition,
    readonly delivered: Set<number>,
    /** Delivers each unit as it is handed, like a function handler (reporting between parts). */
    readonly eager = false,
  ) {}
  hand(lsn: bigint, complete: boolean, facts: number[]): void {
    this.units.push({ lsn, complete, facts, settled: facts.map(() => false) })
    this.position.handed(this.index, lsn, complete)
    if (this.eager) while (!this.idle) this.settle(0)
    this.#report()
  }
  get idle(): boolean {
    return this.units.every((unit) => unit.settled.every(Boolean))
  }
  unsettled(): Array<[Unit, number]> {
    return this.units.flatMap((unit) =>
      unit.settled.flatMap((done, index) => (done ? [] : [[unit, index] as [Unit, number]])),
    )
  }
  settle(pick: number): void {
    const open = this.unsettled()
    if (open.length === 0) return
    const [unit, index] = open[pick % open.length]!
    unit.settled[index] = true
    this.delivered.add(unit.facts[index]!)
    this.#report()
  }
  #report(): void {
    const before = this.#prefix
    while (this.#prefix < this.units.length && this.units[this.#prefix]!.settled.every(Boolean))
      this.#prefix++
    if (this.#prefix > before) {
      const newest = this.units
        .slice(0, this.#prefix)
        .filter((unit) => unit.complete)
        .at(-1)
      if (newest) this.position.delivered(this.index, newest.lsn)
    }
    if (this.idle) this.position.idle(this.index)
  }
}

const handlerCount = 2
const chunkFacts = 2

function buildWal(shapes: Array<{ outside: boolean; handlers: number[] }>): WalItem[] {
  let cursor = 0x100n
  let id = 0
  return shapes.map((shape) => {
    if (shape.outside) {
      cursor += 0x10n
      return { tag: 'outside', lsn: cursor, fact: { id: id++, handler: shape.handlers[0] ?? 0 } }
    }
    const facts = shape.handlers.map((handler) => ({ id: id++, handler }))
    cursor += 0x10n * BigInt(facts.length + 1)
    const commitLsn = cursor
    cursor += 0x8n
    return { tag: 'transaction', commitLsn, endLsn: cursor, facts }
  })
}

/** What the relay does with one item from the stream. */
function readItem(item: WalItem, position: PlainPosition, handlers: ModelHandler[]): void {
  const allIdle = () => handlers.every((handler) => handler.idle)
  if (item.tag === 'outside') {
    handlers[item.fact.handler]!.hand(position.unitLsn(), false, [item.fact.id])
    return
  }
  // Facts are buffered per handler; a full buffer goes out as a chunk before the commit.
  const fresh = position.begin(item.commitLsn)
  if (!fresh) {
    position.commit(item.commitLsn, item.endLsn, false, allIdle())
    return
  }
  const buffers = handlers.map(() => [] as number[])
  const chunked = new Set<number>()
  for (const fact of item.facts) {
    const buffer = buffers[fact.handler]!
    buffer.push(fact.id)
    if (buffer.length === chunkFacts) {
      handlers[fact.handler]!.hand(position.unitLsn(), false, buffer.splice(0))
      chunked.add(fact.handler)
    }
  }
  let handed = false
  for (const handler of handlers) {
    // A handler that got part of the transaction gets its end too, even with no facts left.
    if (buffers[handler.index]!.length > 0 || chunked.has(handler.index)) {
      handler.hand(item.endLsn, true, buffers[handler.index]!)
      handed = true
    }
  }
  position.commit(item.commitLsn, item.endLsn, handed, allIdle())
}

type Step =
  | { tag: 'read' }
  | { tag: 'settle'; handler: number; pick: number }
  | { tag: 'keepalive' }
  | { tag: 'reconnect' }

const stepArbitrary: fc.Arbitrary<Step> = fc.oneof(
  { weight: 4, arbitrary: fc.constant<Step>({ tag: 'read' }) },
  {
    weight: 5,
    arbitrary: fc.record({
      tag: fc.constant('settle' as const),
      handler: fc.nat({ max: handlerCount - 1 }),
      pick: fc.nat(),
    }),
  },
  { weight: 2, arbitrary: fc.constant<Step>({ tag: 'keepalive' }) },
  { weight: 1, arbitrary: fc.constant<Step>({ tag: 'reconnect' }) },
)

const walArbitrary = fc.array(
  fc.record({
    outside: fc.nat({ max: 9 }).map((draw) => draw < 3),
    handlers: fc.array(fc.nat({ max: handlerCount - 1 }), { maxLength: 5 }),
  }),
  { minLength: 1, maxLength: 30 },
)

describe('Position', () => {
  it('never confirms past an undelivered fact, through chunks, idle commits, out-of-order acks and replays', () => {
    fc.assert(
      fc.property(
        walArbitrary,
        fc.array(stepArbitrary, { maxLength: 300 }),
        fc.boolean(),
        (shapes, steps, eager) => {
          const wal = buildWal(
            shapes.map((shape) =>
              shape.outside && shape.handlers.length === 0 ? { ...shape, outside: false } : shape,
            ),
          )
          const position = new PlainPosition(handlerCount, 0x100n)
          const delivered = new Set<number>()
          const handlers = Array.from(
            { length: handlerCount },
            (_, index) => new ModelHandler(index, position, delivered, eager && index === 0),
          )
          // The server resends what ends after the confirmed position; `next` is the stream's cursor.
          let next = 0
          let sentUpTo = position.confirmed
          const check = () => {
            for (const item of wal) {
              const facts = item.tag === 'transaction' ? item.facts : [item.fact]
              const undelivered = facts.some((fact) => !delivered.has(fact.id))
              if (undelivered) expect(position.confirmed).toBeLessThan(endOf(item))
            }
          }
          for (const step of steps) {
            switch (step.tag) {
              case 'read':
                if (next < wal.length) {
                  readItem(wal[next]!, position, handlers)
                  sentUpTo = endOf(wal[next]!)
                  next++
                }
                break
              case 'settle':
                handlers[step.handler]!.settle(step.pick)
                break
              case 'keepalive':
                position.keepalive(
                  sentUpTo,
                  handlers.every((handler) => handler.idle),
                )
                break
              case 'reconnect':
                position.connectionLost()
                next = wal.findIndex((item) => endOf(item) > position.confirmed)
                if (next === -1) next = wal.length
                sentUpTo = position.confirmed
                break
            }
            check()
          }
          // Liveness: read everything, deliver everything, then an idle keepalive confirms the end.
          while (next < wal.length) {
            readItem(wal[next]!, position, handlers)
            sentUpTo = endOf(wal[next]!)
            next++
          }
          for (const handler of handlers) while (!handler.idle) handler.settle(0)
          check()
          const walEnd = endOf(wal.at(-1)!) + 0x100n
          position.keepalive(walEnd, true)
          expect(position.confirmed).toBe(walEnd)
        },
      ),
      { numRuns: 500 },
    )
  })

  it('confirms nothing of a transaction while its parts are still being handed to other handlers', () => {
    const position = new PlainPosition(2)
    expect(position.begin(0x100n)).toBe(true)
    position.handed(0, 0x108n, true)
    position.delivered(0, 0x108n)
    expect(position.confirmed).toBe(0n)
    position.handed(1, 0x108n, true)
    position.commit(0x100n, 0x108n, true, false)
    expect(position.confirmed).toBe(0n)
    position.delivered(1, 0x108n)
    expect(position.confirmed).toBe(0x108n)
  })

  it('confirms the keepalive end of an idle slot, and not while a transaction is open', () => {
    const position = new PlainPosition(1)
    position.keepalive(0x500n, true)
    expect(position.confirmed).toBe(0x500n)
    expect(position.begin(0x600n)).toBe(true)
    position.keepalive(0x700n, true)
    expect(position.confirmed).toBe(0x500n)
    position.commit(0x600n, 0x608n, false, true)
    expect(position.confirmed).toBe(0x608n)
  })

  it('does not confirm an empty commit while a handler has facts in flight', () => {
    const position = new PlainPosition(1)
    position.begin(0x100n)
    position.handed(0, 0x108n, true)
    position.commit(0x100n, 0x108n, true, false)
    position.begin(0x200n)
    position.commit(0x200n, 0x208n, false, false)
    expect(position.confirmed).toBe(0n)
    position.delivered(0, 0x108n)
    expect(position.confirmed).toBe(0x108n)
    position.keepalive(0x300n, true)
    expect(position.confirmed).toBe(0x300n)
  })

  it('tags chunks with the previous end and says a transaction handed in full is a replay', () => {
    const position = new PlainPosition(1)
    position.begin(0x100n)
    position.handed(0, 0x108n, true)
    position.commit(0x100n, 0x108n, true, false)
    expect(position.begin(0x200n)).toBe(true)
    expect(position.unitLsn()).toBe(0x108n)
    position.handed(0, position.unitLsn(), false)
    position.delivered(0, 0x108n)
    // The chunk's facts lie after 0x108, so 0x108 may be confirmed, and no further.
    expect(position.confirmed).toBe(0x108n)
    position.connectionLost()
    expect(position.begin(0x100n)).toBe(false)
    expect(position.begin(0x200n)).toBe(true)
  })
})
