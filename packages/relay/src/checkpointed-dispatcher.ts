/// <reference types="node" preserve="true" />
import { formatLsn } from '@factlib/wal'
import { Aborted, abortable } from './abortable.js'
import { type CommitOutput, Dispatcher, type DispatcherSettings } from './dispatcher.js'
import type { FactTransaction } from './fact-transaction.js'
import type { CheckpointedHandler } from './handler.js'
import type { HandlerCheckpoint } from './handler-checkpoint.js'
import type { Logger } from './logger.js'
import { CheckpointedPosition } from './position.js'
import type { Session } from './session.js'

/**
 * The dispatcher of one checkpointed handler (every prefix): only what the handler reports is
 * confirmed, so idle WAL and commits without facts are handed to it as empty transactions, and
 * each session starts from the checkpoint `resume()` returns.
 */
export class CheckpointedDispatcher extends Dispatcher<CheckpointedPosition> {
  readonly kind = 'checkpointed'
  readonly #handler: CheckpointedHandler
  readonly #slot: string
  readonly #logger: Logger

  /** `position`: a fresh one unless a test watches the calls made into it. */
  constructor(
    settings: Omit<DispatcherSettings, 'handlers'> & {
      handler: CheckpointedHandler
      slot: string
      logger: Logger
    },
    position = new CheckpointedPosition(),
  ) {
    super(position, { ...settings, handlers: [settings.handler] })
    this.#handler = settings.handler
    this.#slot = settings.slot
    this.#logger = settings.logger
  }

  /**
   * At a session's start: the handler drops what it did not checkpoint and says where to resume.
   * `walEnd` is the server's: a checkpoint beyond it ends the session, halted. So does a refusal.
   */
  async resume(session: Session, walEnd: bigint, signal: AbortSignal): Promise<void> {
    let checkpoint: HandlerCheckpoint
    try {
      // Only the relay's stop interrupts it: a second resume() must not overlap this one.
      checkpoint = await abortable(this.#handler.resume(), signal)
    } catch (error) {
      session.end(error instanceof Aborted ? { reason: 'stopped' } : { reason: 'halted', error })
      return
    }
    const { endLsn, inside } = checkpoint
    // A transaction the checkpoint lies inside has committed too, so its commit is in the past.
    const latest = inside && inside.commitLsn > endLsn ? inside.commitLsn : endLsn
    if (latest > walEnd) {
      // Another database system (restored, rebuilt) behind the same slot name: resuming after the
      // checkpoint would skip every fact up to it as delivered.
      session.end({ reason: 'halted', error: new CheckpointAheadError(latest, walEnd, this.#slot) })
      return
    }
    try {
      this.position.resume(checkpoint)
    } catch (error) {
      session.end({ reason: 'halted', error })
      return
    }
    this.#logger.info(
      {
        checkpoint: formatLsn(endLsn),
        ...(inside
          ? { insideCommit: formatLsn(inside.commitLsn), insideFact: formatLsn(inside.factLsn) }
          : {}),
      },
      'resuming after the handler checkpoint',
    )
    this.confirm()
  }

  protected keepalive(walEnd: bigint, session: Session): Promise<boolean> | undefined {
    // Confirmed only once the handler has checkpointed it, so handed over like a transaction.
    if (!this.position.idleAdvance(walEnd)) return undefined
    return this.send(0, { endLsn: walEnd, complete: true, facts: [] }, session)
  }

  protected commitParts(parts: Map<number, FactTransaction>, commit: CommitOutput): void {
    // A commit without facts still moves the checkpoint, so an idle prefix does not pin WAL.
    if (parts.size === 0 && !commit.replay) parts.set(0, { endLsn: commit.endLsn, complete: true, facts: [] })
  }

  protected recordCommit(commitLsn: bigint, endLsn: bigint, handedFacts: boolean): void {
    this.position.commit(commitLsn, endLsn, handedFacts)
  }

  protected noteIdleHandlers(): void {
    // A checkpointed handler's "nothing in flight" is not a checkpoint: only its reports count.
  }

  protected noteIdle(_index: number): void {
    // As above.
  }
}

/**
 * A checkpointed handler's checkpoint lies beyond the server's WAL end: the slot's name now
 * belongs to another database system, and resuming would skip facts as if delivered.
 */
export class CheckpointAheadError extends Error {
  override readonly name = 'CheckpointAheadError'
  constructor(
    readonly checkpoint: bigint,
    readonly walEnd: bigint,
    readonly slot: string,
  ) {
    super(
      `the handler's checkpoint for slot '${slot}' is ${formatLsn(checkpoint)}, beyond this server's WAL end ` +
        `${formatLsn(walEnd)}: this is another database system (restored or rebuilt), and resuming would skip ` +
        'every fact up to the checkpoint; remove the checkpoint (for the exactly-once Kafka sink: its record ' +
        'in the checkpoint topic, or use a new checkpoint topic) to start over',
    )
  }
}
