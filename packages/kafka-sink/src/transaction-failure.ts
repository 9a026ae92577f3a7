import { TransactionAbortedError, TransactionTimedOutError } from './errors.js'
import { ProduceFailure } from './producer-client.js'
import type { ExactlyOnceOptions } from './sink-types.js'

/**
 * What a failure inside a Kafka transaction means to the exactly-once sink:
 * - `fenced`: another producer took the transactional id; the sink stops for good.
 * - `lost`: the transaction is over and its facts are resent from the checkpoint; `resetProducer`
 *   when the producer identity cannot go on, `abort` when the sink should still abort it.
 *
 * A fencing answer (INVALID_PRODUCER_EPOCH, PRODUCER_FENCED) is also what the coordinator gives a
 * producer whose transaction it aborted for outliving transaction.timeout.ms, after bumping the
 * epoch. The coordinator's clock starts with the first partition added, after ours: a transaction
 * younger than the timeout by our clock was fenced by another producer; an older one is taken for
 * timed out. That is safe even when another relay did take over: the relay resumes, and so fences
 * again, only once it holds the replication slot, which the other relay holds.
 */
export type TransactionFailure =
  | { tag: 'fenced' }
  | {
      tag: 'lost'
      error: TransactionAbortedError | TransactionTimedOutError
      resetProducer: boolean
      abort: boolean
    }

export function transactionFailure(
  failure: ProduceFailure,
  openMs: number,
  eos: Pick<Required<ExactlyOnceOptions>, 'transactionalId' | 'transactionTimeoutMs'>,
  checkpoint: bigint,
): TransactionFailure {
  if (failure.kind === 'fenced') {
    if (openMs < eos.transactionTimeoutMs) return { tag: 'fenced' }
    const error = new TransactionTimedOutError(
      eos.transactionalId,
      checkpoint,
      openMs,
      eos.transactionTimeoutMs,
      failure.message,
    )
    // The epoch was bumped: this producer identity can neither write nor abort, and the coordinator
    // aborted the transaction itself; the next InitProducerId ends anything left.
    return { tag: 'lost', error, resetProducer: true, abort: false }
  }
  const error = new TransactionAbortedError(checkpoint, failure.message)
  return { tag: 'lost', error, resetProducer: failure.kind === 'producer-state', abort: true }
}

/** A client call's error as a ProduceFailure: anything unclassified counts as transient. */
export function asProduceFailure(error: unknown): ProduceFailure {
  return error instanceof ProduceFailure
    ? error
    : new ProduceFailure('transient', undefined, error instanceof Error ? error.message : String(error))
}
