import { type CommitOutput, Dispatcher, type DispatcherSettings } from './dispatcher.js'
import type { FactTransaction } from './fact-transaction.js'
import type { PlainHandler } from './handler.js'
import { PlainPosition } from './position.js'

/**
 * The dispatcher of plain handlers (any number, one per prefix): a handler with nothing in flight
 * has delivered everything handed to it, and idle WAL (keepalives, commits without facts) is
 * confirmed directly while nothing is in flight anywhere.
 */
export class PlainDispatcher extends Dispatcher<PlainPosition> {
  readonly kind = 'plain'
  readonly #handlers: readonly PlainHandler[]

  constructor(settings: DispatcherSettings & { handlers: readonly PlainHandler[] }) {
    super(new PlainPosition(settings.handlers.length), settings)
    this.#handlers = settings.handlers
  }

  protected keepalive(walEnd: bigint): undefined {
    this.noteIdleHandlers()
    this.position.keepalive(walEnd, this.allIdle())
    this.confirm()
    return undefined
  }

  protected commitParts(_parts: Map<number, FactTransaction>, _commit: CommitOutput): void {
    // A commit without facts goes to no handler: the position confirms it once nothing is in flight.
  }

  protected recordCommit(commitLsn: bigint, endLsn: bigint, handedFacts: boolean): void {
    this.noteIdleHandlers()
    this.position.commit(commitLsn, endLsn, handedFacts, this.allIdle())
  }

  protected noteIdleHandlers(): void {
    for (let index = 0; index < this.#handlers.length; index++) {
      if (this.#handlers[index]!.inFlight === 0) this.position.idle(index)
    }
  }

  protected noteIdle(index: number): void {
    if (this.#handlers[index]!.inFlight !== 0) return
    this.position.idle(index)
    this.confirm()
  }
}
