import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { FactTransaction } from './fact-transaction.js'
import type { DeliveredEvent, PlainHandler } from './handler.js'
import { PlainDispatcher } from './plain-dispatcher.js'
import { PlainPosition } from './position.js'
import type { SessionEnd } from './session.js'
import {
  buildWal,
  endOf,
  factId,
  factsOf,
  ScriptedStream,
  settle,
  type WalItem,
} from './test-support/scripted-stream.js'

// The dispatcher against a scripted replication stream and plain handlers that take, push back,
// settle facts in any order and refuse, through reconnects that resend from the confirmed
// position. A recording Position checks the order of the calls made into it; after every step no
// undelivered fact may lie at or before what was acknowledged to the server.

interface Unit {
  lsn: bigint
  complete: boolean
  facts: number[]
  settled: boolean[]
}

/**
 * A plain handler. `countsPending`: the facts of a send that pends count in `inFlight` from the
 * start (like subscribeFacts' queue); otherwise only once taken (like the Kafka sink, whose send
 * pends on its in-flight limit before it registers the transaction).
 */
class FakeHandler implements PlainHandler {
  readonly kind = 'plain'
  readonly units: Unit[] = []
  readonly pending: Array<{ take: () => void; refuse: (error: Error) => void }> = []
  /** Which sends pend until taken, in turn (cycled); none once `blocking` is off. */
  pattern: boolean[] = [false]
  blocking = true
  sends = 0
  #refuseNext = false
  #reported = 0
  #listener: ((event: DeliveredEvent) => void) | undefined

  constructor(
    readonly index: number,
    readonly world: World,
    readonly countsPending: boolean,
  ) {}

  get inFlight(): number {
    let facts = 0
    for (const unit of this.units) for (const done of unit.settled) if (!done) facts++
    return facts
  }

  /** Every fact handed to it delivered (a pending send's facts are handed, counted or not). */
  get idle(): boolean {
    if (!this.countsPending && this.pending.length > 0) return false
    return this.units.every((unit) => unit.settled.every(Boolean))
  }

  events(listener: (event: DeliveredEvent) => void): () => void {
    this.#listener = listener
    return () => {
      this.#listener = undefined
    }
  }

  send(transaction: FactTransaction): Promise<void> {
    this.sends++
    this.world.checkHandedBeforeSend(this.index, transaction, this.sends)
    if (this.#refuseNext) {
      this.#refuseNext = false
      return Promise.reject(new Error('refused'))
    }
    const facts = transaction.facts.map((fact) => factId(fact.value))
    const unit = {
      lsn: transaction.endLsn,
      complete: transaction.complete,
      facts,
      settled: facts.map(() => false),
    }
    const pends = this.blocking && this.pattern[(this.sends - 1) % this.pattern.length]!
    if (!pends) {
      this.units.push(unit)
      return Promise.resolve()
    }
    if (this.countsPending) this.units.push(unit)
    return new Promise<void>((resolve, reject) => {
      this.pending.push({
        take: () => {
          if (!this.countsPending) this.units.push(unit)
          resolve()
        },
        refuse: reject,
      })
    })
  }

  take(): void {
    this.pending.shift()?.take()
  }

  /** Refuses the oldest pending send, or else the next send. */
  refuse(now: boolean): void {
    const next = this.pending.shift()
    if (next) next.refuse(new Error('refused'))
    else if (!now) this.#refuseNext = true
  }

  settle(pick: number): void {
    const open = this.units.flatMap((unit) =>
      unit.settled.flatMap((done, index) => (done ? [] : [[unit, index] as const])),
    )
    if (open.length === 0) return
    const [unit, index] = open[pick % open.length]!
    unit.settled[index] = true
    this.world.delivered.add(unit.facts[index]!)
    // Reports cumulatively, in handing order: the newest whole transaction of the settled prefix.
    const before = this.#reported
    while (this.#reported < this.units.length && this.units[this.#reported]!.settled.every(Boolean))
      this.#reported++
    if (this.#reported === before) return
    const newest = this.units.slice(0, this.#reported).findLast((candidate) => candidate.complete)
    if (newest) this.#listener?.({ type: 'delivered', lsn: newest.lsn })
  }
}

/** The real Position, with every call checked against what the handlers hold at that moment. */
class RecordingPosition extends PlainPosition {
  readonly handedCalls: Array<Array<{ lsn: bigint; complete: boolean }>>
  constructor(
    handlerCount: number,
    readonly world: World,
  ) {
    super(handlerCount)
    this.handedCalls = Array.from({ length: handlerCount }, () => [])
  }
  override handed(handler: number, lsn: bigint, complete: boolean): void {
    this.handedCalls[handler]!.push({ lsn, complete })
    super.handed(handler, lsn, complete)
  }
  override idle(handler: number): void {
    if (!this.world.handlers[handler]!.idle)
      this.world.violation(`idle(${handler}) while it has facts in flight`)
    super.idle(handler)
  }
  override keepalive(walEnd: bigint, allIdle: boolean): void {
    if (allIdle && !this.world.allIdle()) this.world.violation('keepalive said all idle with facts in flight')
    super.keepalive(walEnd, allIdle)
  }
  override commit(commitLsn: bigint, endLsn: bigint, handedFacts: boolean, allIdle: boolean): void {
    if (allIdle && !this.world.allIdle()) this.world.violation('commit said all idle with facts in flight')
    super.commit(commitLsn, endLsn, handedFacts, allIdle)
  }
}

class World {
  readonly delivered = new Set<number>()
  readonly violations: string[] = []
  readonly handlers: FakeHandler[]
  readonly position: RecordingPosition
  readonly dispatcher: PlainDispatcher
  readonly stop = new AbortController()
  stream!: ScriptedStream
  end: SessionEnd | undefined
  acknowledged = 0n

  constructor(
    readonly wal: WalItem[],
    countsPending: boolean[],
  ) {
    this.handlers = countsPending.map((counts, index) => new FakeHandler(index, this, counts))
    this.position = new RecordingPosition(this.handlers.length, this)
    this.dispatcher = new PlainDispatcher(
      {
        handlers: this.handlers,
        route: new Map([
          ['a', 0],
          ['b', 1],
        ]),
        maxChunkFacts: 2,
        hooks: {},
      },
      this.position,
    )
  }

  violation(what: string): void {
    this.violations.push(what)
  }

  /** Nothing pending, nothing in flight anywhere. */
  quiet(): boolean {
    return this.handlers.every((handler) => handler.pending.length === 0 && handler.inFlight === 0)
  }

  allIdle(): boolean {
    return this.handlers.every((handler) => handler.idle)
  }

  checkHandedBeforeSend(index: number, transaction: FactTransaction, sends: number): void {
    const calls = this.position.handedCalls[index]!
    const last = calls.at(-1)
    if (calls.length !== sends || last?.lsn !== transaction.endLsn || last.complete !== transaction.complete)
      this.violation(`send ${sends} to handler ${index} without handed() first`)
  }

  /** A replication session: the server resends from what it was last told is confirmed. */
  connect(): void {
    if (this.stream) this.acknowledged = this.stream.acknowledged
    this.dispatcher.detach()
    this.stream = new ScriptedStream(this.wal, this.acknowledged)
    this.end = undefined
    const session = this.dispatcher.openSession(this.stream, this.stop.signal)
    void this.dispatcher.stream(session).then((end) => {
      this.end = end
    })
  }

  check(): void {
    expect(this.violations).toEqual([])
    // LSNs are bigints, which Math.max refuses.
    let acknowledged = this.acknowledged
    if (this.stream.acknowledged > acknowledged) acknowledged = this.stream.acknowledged
    for (const item of this.wal) {
      if (factsOf(item).some((fact) => fact.prefix !== 'x' && !this.delivered.has(fact.id)))
        expect(acknowledged, `acknowledged past undelivered facts ending at ${endOf(item)}`).toBeLessThan(
          endOf(item),
        )
    }
  }
}

type Step =
  | { tag: 'arrive'; count: number }
  | { tag: 'keepalive' }
  | { tag: 'settle'; handler: number; pick: number }
  | { tag: 'take'; handler: number }
  | { tag: 'reconnect' }
  | { tag: 'refuse'; handler: number; now: boolean }

const handler = fc.nat({ max: 1 })
const stepArbitrary: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({ tag: fc.constant('arrive' as const), count: fc.integer({ min: 1, max: 4 }) }),
  },
  { weight: 2, arbitrary: fc.constant<Step>({ tag: 'keepalive' }) },
  { weight: 5, arbitrary: fc.record({ tag: fc.constant('settle' as const), handler, pick: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ tag: fc.constant('take' as const), handler }) },
  { weight: 1, arbitrary: fc.constant<Step>({ tag: 'reconnect' }) },
  {
    weight: 1,
    arbitrary: fc.record({
      tag: fc.constant('refuse' as const),
      handler,
      now: fc.nat({ max: 3 }).map((n) => n > 0),
    }),
  },
)

const patternArbitrary = fc.array(fc.boolean(), { minLength: 1, maxLength: 4 })

/** Facts of handler a, b, or a prefix no handler reads; some outside any transaction. */
const walArbitrary = fc
  .array(
    fc.record({
      outside: fc.nat({ max: 9 }).map((draw) => draw < 2),
      prefixes: fc.array(fc.constantFrom('a', 'b', 'x'), { maxLength: 5 }),
    }),
    { minLength: 1, maxLength: 20 },
  )
  .map((shapes) =>
    buildWal(
      shapes.map((shape) =>
        shape.outside ? { ...shape, prefixes: shape.prefixes.filter((p) => p !== 'x') } : shape,
      ),
    ),
  )

async function run(
  wal: WalItem[],
  steps: Step[],
  countsPending: boolean[],
  patterns: boolean[][] = [[false], [false]],
): Promise<void> {
  const world = new World(wal, countsPending)
  for (const [index, pattern] of patterns.entries()) world.handlers[index]!.pattern = pattern
  world.connect()
  for (const step of steps) {
    const target = 'handler' in step ? world.handlers[step.handler]! : undefined
    if (step.tag === 'arrive') world.stream.arrive(step.count)
    else if (step.tag === 'keepalive') world.stream.keepalive()
    else if (step.tag === 'settle') target!.settle(step.pick)
    else if (step.tag === 'take') target!.take()
    else if (step.tag === 'refuse') target!.refuse(step.now)
    else world.stream.break()
    await settle()
    // The session loop starts the next session once the dispatcher says the last one ended: a
    // dispatcher waiting for a handler reads nothing, so learns of a break only when it reads on.
    if (world.end?.reason === 'stream-failed') {
      world.connect()
      await settle()
    }
    world.check()
    // A refusal halts the relay: nothing more is read.
    if (world.end?.reason === 'halted') return
  }
  // Liveness: everything arrives, is taken and delivered; then an idle keepalive is confirmed.
  for (const each of world.handlers) each.blocking = false
  for (
    let round = 0;
    round < 100 && !(world.end === undefined && world.stream.exhausted && world.quiet());
    round++
  ) {
    if (world.end?.reason === 'stream-failed') world.connect()
    world.stream.arrive(1_000)
    for (const each of world.handlers) {
      while (each.pending.length > 0) each.take()
      while (each.inFlight > 0) each.settle(0)
    }
    await settle()
    world.check()
    // A refusal set up before the last send halts it now.
    if (world.end?.reason === 'halted') return
  }
  const walEnd = endOf(wal.at(-1)!) + 0x100n
  world.stream.keepalive(walEnd)
  await settle()
  expect(world.stream.acknowledged).toBe(walEnd)
  world.stream.break()
  await settle()
}

describe('PlainDispatcher', () => {
  it('hands before it sends, says idle only with nothing in flight, and never confirms an undelivered fact', async () => {
    await fc.assert(
      fc.asyncProperty(
        walArbitrary,
        fc.array(stepArbitrary, { maxLength: 300 }),
        fc.tuple(fc.boolean(), fc.boolean()),
        // Per handler, which of its sends pend until taken (push-back), in turn.
        fc.tuple(patternArbitrary, patternArbitrary),
        (wal, steps, countsPending, patterns) => run(wal, steps, countsPending, patterns),
      ),
      { numRuns: 2_000 },
    )
  })

  it('does not take a handler for idle while a send to it pends, whatever its inFlight says', async () => {
    // The Kafka sink counts a transaction in inFlight only once its send got past the in-flight
    // limit: a delivery report meanwhile must not settle the pending transaction in the position.
    const wal = buildWal([
      { outside: false, prefixes: ['a'] },
      { outside: false, prefixes: ['a'] },
    ])
    await run(
      wal,
      [
        { tag: 'arrive', count: 3 },
        { tag: 'arrive', count: 3 },
        { tag: 'settle', handler: 0, pick: 0 },
      ],
      [false, false],
      [[false, true], [false]],
    )
  })
})
