import { type CommitOutput, Dispatcher, type DispatcherSettings } from './dispatcher.js'
import type { FactTransaction } from './fact-transaction.js'
import type { PlainHandler } from './handler.js'
import { PlainPosition } from './position.js'

/**
 * The dispatcher of plain handlers (any number, one per prefix): a handler with nothing in flight
 * and no send pending has delivered everything handed to it, and idle WAL (keepalives, commits without facts) is
 * confirmed directly while nothing is in flight anywhere.
 */
export class PlainDispatcher extends Dispatcher<PlainPosition> {
  readonly kind = 'plain'

  /** `position`: a fresh one unless a test watches the calls made into it. */
  constructor(
    settings: DispatcherSettings & { handlers: readonly PlainHandler[] },
    position = new PlainPosition(settings.handlers.length),
  ) {
    super(position, settings)
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
    for (let index = 0; index < this.handlers.length; index++) {
      if (this.isIdle(index)) this.position.idle(index)
    }
  }

  protected noteIdle(index: number): void {
    if (!this.isIdle(index)) return
    this.position.idle(index)
    this.confirm()
  }
}
