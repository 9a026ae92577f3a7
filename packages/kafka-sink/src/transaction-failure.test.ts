import { describe, expect, it } from 'vitest'
import { TransactionAbortedError, TransactionTimedOutError } from './errors.js'
import { ProduceFailure } from './producer-client.js'
import { transactionFailure } from './transaction-failure.js'

const eos = { transactionalId: 'owlpost.slot', transactionTimeoutMs: 3_000 }
const fenced = new ProduceFailure('fenced', 'INVALID_PRODUCER_EPOCH', 'INVALID_PRODUCER_EPOCH')

describe('transactionFailure', () => {
  it('takes a fencing answer to a transaction younger than the timeout for fencing', () => {
    expect(transactionFailure(fenced, 2_999, eos, 0x100n)).toEqual({ tag: 'fenced' })
  })

  it('takes a fencing answer to a transaction older than the timeout for the timeout: lost, not fatal', () => {
    const outcome = transactionFailure(fenced, 3_200, eos, 0x100n)
    expect(outcome).toMatchObject({ tag: 'lost', resetProducer: true, abort: false })
    if (outcome.tag !== 'lost') throw new Error('expected lost')
    expect(outcome.error).toBeInstanceOf(TransactionTimedOutError)
    expect(outcome.error).toMatchObject({
      checkpoint: 0x100n,
      timeoutMs: 3_000,
      transactionalId: 'owlpost.slot',
    })
    expect(outcome.error.message).toMatch(/open 3200 ms, longer than transaction.timeout.ms \(3000 ms\)/)
    expect(outcome.error.message).not.toMatch(/fenced/)
  })

  it('aborts on anything else, with a new producer identity after a producer-state failure', () => {
    for (const [kind, resetProducer] of [
      ['transient', false],
      ['producer-state', true],
    ] as const) {
      const outcome = transactionFailure(new ProduceFailure(kind, undefined, kind), 10_000, eos, 0n)
      expect(outcome).toMatchObject({ tag: 'lost', resetProducer, abort: true })
      if (outcome.tag === 'lost') expect(outcome.error).toBeInstanceOf(TransactionAbortedError)
    }
  })
})
