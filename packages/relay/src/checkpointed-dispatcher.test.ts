import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { CheckpointedDispatcher } from './checkpointed-dispatcher.js'
import type { FactTransaction } from './fact-transaction.js'
import type { CheckpointedHandler, HandlerEvent } from './handler.js'
import type { HandlerCheckpoint } from './handler-checkpoint.js'
import { silentLogger } from './logger.js'
import { CheckpointedPosition } from './position.js'
import type { SessionEnd } from './session.js'
import {
  buildWal,
  endOf,
  factId,
  ScriptedStream,
  settle,
  type WalItem,
} from './test-support/scripted-stream.js'

// The dispatcher against a scripted replication stream and a handler like the exactly-once Kafka
// sink: it takes transactions (pushing back at times), commits at whole-transaction ends or inside
// a transaction, loses what it had not committed, or is fenced; each new session resumes from its
// checkpoint and the server resends from what was acknowledged. Invariants: handed before send,
// sends in WAL order within a session, nothing acknowledged past the checkpoint, every fact
// committed once, in WAL order.

type Item = { tag: 'fact'; id: number; lsn: bigint; commitLsn: bigint } | { tag: 'end'; lsn: bigint }

class FakeSink implements CheckpointedHandler {
  readonly kind = 'checkpointed'
  checkpoint: HandlerCheckpoint = { endLsn: 0n }
  readonly committed: number[] = []
  items: Item[] = []
  pending: Array<{ take: () => void; refuse: (error: Error) => void }> = []
  pattern: boolean[] = [false]
  blocking = true
  sends = 0
  #lastTaken = 0n
  #listener: ((event: HandlerEvent) => void) | undefined

  constructor(readonly world: World) {}

  get inFlight(): number {
    return this.items.filter((item) => item.tag === 'fact').length
  }

  events(listener: (event: HandlerEvent) => void): () => void {
    this.#listener = listener
    return () => {
      this.#listener = undefined
    }
  }

  resume(): Promise<HandlerCheckpoint> {
    this.#forget(new Error('resumed'))
    this.#lastTaken = 0n
    return Promise.resolve(this.checkpoint)
  }

  send(transaction: FactTransaction): Promise<void> {
    this.sends++
    this.world.checkHandedBeforeSend(transaction, this.sends)
    if (transaction.endLsn < this.#lastTaken)
      this.world.violation(`send out of WAL order at ${transaction.endLsn}`)
    this.#lastTaken = transaction.endLsn
    const take = () => {
      for (const fact of transaction.facts)
        this.items.push({
          tag: 'fact',
          id: factId(fact.value),
          lsn: fact.lsn,
          commitLsn: transaction.commitLsn!,
        })
      if (transaction.complete) this.items.push({ tag: 'end', lsn: transaction.endLsn })
    }
    if (!(this.blocking && this.pattern[(this.sends - 1) % this.pattern.length])) {
      take()
      return Promise.resolve()
    }
    return new Promise<void>((resolve, reject) => {
      this.pending.push({
        take: () => {
          take()
          resolve()
        },
        refuse: reject,
      })
    })
  }

  take(): void {
    this.pending.shift()?.take()
  }

  /** Commits up to the newest whole-transaction end it holds. */
  commit(): void {
    const last = this.items.findLastIndex((item) => item.tag === 'end')
    if (last >= 0) this.#commitPrefix(last + 1)
  }

  /** Commits up to the `pick`th (modulo) fact it holds, inside its transaction. */
  split(pick: number): void {
    const facts = this.items.flatMap((item, index) => (item.tag === 'fact' ? [index] : []))
    if (facts.length > 0) this.#commitPrefix(facts[pick % facts.length]! + 1)
  }

  /** The open Kafka transaction aborted (or the sink was fenced): what it held is gone. */
  lose(fatal: boolean): void {
    const error = new Error(fatal ? 'fenced' : 'aborted')
    this.#listener?.({ type: 'lost', error, fatal })
    this.#forget(error)
  }

  #forget(error: Error): void {
    this.items = []
    for (const pending of this.pending.splice(0)) pending.refuse(error)
  }

  #commitPrefix(length: number): void {
    const prefix = this.items.splice(0, length)
    let endLsn = this.checkpoint.endLsn
    for (const item of prefix) {
      if (item.tag === 'fact') this.committed.push(item.id)
      else endLsn = item.lsn
    }
    const last = prefix.at(-1)!
    this.checkpoint =
      last.tag === 'end' ? { endLsn } : { endLsn, inside: { commitLsn: last.commitLsn, factLsn: last.lsn } }
    this.#listener?.({ type: 'delivered', lsn: endLsn })
  }
}

class RecordingPosition extends CheckpointedPosition {
  readonly handedCalls: Array<{ lsn: bigint; complete: boolean }> = []
  override handed(handler: number, lsn: bigint, complete: boolean): void {
    this.handedCalls.push({ lsn, complete })
    super.handed(handler, lsn, complete)
  }
}

class World {
  readonly violations: string[] = []
  readonly position = new RecordingPosition()
  readonly sink = new FakeSink(this)
  readonly dispatcher: CheckpointedDispatcher
  readonly stop = new AbortController()
  stream!: ScriptedStream
  end: SessionEnd | undefined
  acknowledged = 0n

  constructor(readonly wal: WalItem[]) {
    this.dispatcher = new CheckpointedDispatcher(
      {
        handler: this.sink,
        route: new Map([['a', 0]]),
        maxChunkFacts: 2,
        hooks: {},
        slot: 's',
        logger: silentLogger,
      },
      this.position,
    )
  }

  violation(what: string): void {
    this.violations.push(what)
  }

  checkHandedBeforeSend(transaction: FactTransaction, sends: number): void {
    const last = this.position.handedCalls.at(-1)
    if (
      this.position.handedCalls.length !== sends ||
      last?.lsn !== transaction.endLsn ||
      last.complete !== transaction.complete
    )
      this.violation(`send ${sends} without handed() first`)
  }

  /** A session as the session loop starts it: the handler resumes, the server resends. */
  async connect(): Promise<void> {
    if (this.stream) this.acknowledged = this.stream.acknowledged
    this.dispatcher.detach()
    this.stream = new ScriptedStream(this.wal, this.acknowledged)
    this.end = undefined
    const session = this.dispatcher.openSession(this.stream, this.stop.signal)
    await this.dispatcher.resume(session, 1n << 40n, this.stop.signal)
    void this.dispatcher.stream(session).then((end) => {
      this.end = end
    })
    await settle()
  }

  /** The session loop reconnects after a broken stream or a loss, and stops for good on a fatal one. */
  async reconnectIfEnded(): Promise<boolean> {
    const end = this.end
    if (end === undefined) return true
    if (end.reason === 'stream-failed' || (end.reason === 'lost' && !end.fatal)) {
      await this.connect()
      return true
    }
    return false
  }

  check(): void {
    expect(this.violations).toEqual([])
    // LSNs are bigints, which Math.max refuses.
    let acknowledged = this.acknowledged
    if (this.stream.acknowledged > acknowledged) acknowledged = this.stream.acknowledged
    expect(acknowledged).toBeLessThanOrEqual(this.sink.checkpoint.endLsn)
    expect(new Set(this.sink.committed).size).toBe(this.sink.committed.length)
  }
}

type Step = 'arrive' | 'keepalive' | 'take' | 'commit' | 'split' | 'lose' | 'reconnect'

const stepArbitrary = fc.tuple(
  fc.constantFrom<Step>(
    ...(['arrive', 'arrive', 'arrive', 'arrive', 'keepalive', 'take', 'take', 'commit', 'commit'] as const),
    ...(['split', 'lose', 'reconnect'] as const),
  ),
  fc.nat({ max: 20 }),
)

const walArbitrary = fc
  .array(fc.array(fc.constantFrom('a', 'a', 'x'), { maxLength: 6 }), { minLength: 1, maxLength: 15 })
  .map((shapes) => buildWal(shapes.map((prefixes) => ({ outside: false, prefixes }))))

async function run(wal: WalItem[], steps: Array<[Step, number]>, pattern: boolean[], fence: boolean) {
  const world = new World(wal)
  world.sink.pattern = pattern
  await world.connect()
  for (const [step, pick] of steps) {
    if (step === 'arrive') world.stream.arrive(1 + (pick % 4))
    else if (step === 'keepalive') world.stream.keepalive()
    else if (step === 'take') world.sink.take()
    else if (step === 'commit') world.sink.commit()
    else if (step === 'split') world.sink.split(pick)
    else if (step === 'lose') world.sink.lose(fence && pick === 0)
    else world.stream.break()
    await settle()
    world.check()
    if (!(await world.reconnectIfEnded())) return
    world.check()
  }
  // Liveness: everything arrives, is taken and committed, then idle WAL is checkpointed too.
  world.sink.blocking = false
  for (let round = 0; round < 100; round++) {
    if (!(await world.reconnectIfEnded())) return
    if (world.stream.exhausted && world.sink.pending.length === 0 && world.sink.items.length === 0) break
    world.stream.arrive(1_000)
    while (world.sink.pending.length > 0) world.sink.take()
    world.sink.commit()
    await settle()
    world.check()
  }
  const all = wal
    .flatMap((item) => (item.tag === 'transaction' ? item.facts : []))
    .filter((f) => f.prefix === 'a')
  expect(world.sink.committed).toEqual(all.map((fact) => fact.id))
  const walEnd = endOf(wal.at(-1)!) + 0x100n
  world.stream.keepalive(walEnd)
  await settle()
  world.sink.commit()
  await settle()
  expect(world.stream.acknowledged).toBe(walEnd)
  world.stream.break()
  await settle()
}

describe('CheckpointedDispatcher', () => {
  it('hands before it sends, in WAL order, never confirms past the checkpoint, and commits each fact once', async () => {
    await fc.assert(
      fc.asyncProperty(
        walArbitrary,
        fc.array(stepArbitrary, { maxLength: 200 }),
        fc.array(fc.boolean(), { minLength: 1, maxLength: 4 }),
        fc.boolean(),
        run,
      ),
      { numRuns: 1_000 },
    )
  })
})
