import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { DeliveryTracker, type TransactionTicket } from './delivery-tracker.js'

interface FakeTransaction {
  endLsn: bigint
  factCount: number
}

interface InFlightFact {
  transaction: number
  index: number
}

/** The delivered LSN worked out the slow, obvious way from the set of acknowledged facts. */
function expectedDeliveredLsn(
  transactions: FakeTransaction[],
  registered: number,
  acknowledged: Set<string>,
  initial: bigint,
): bigint {
  let delivered = initial
  for (let t = 0; t < registered; t++) {
    const transaction = transactions[t]!
    for (let i = 0; i < transaction.factCount; i++) {
      if (!acknowledged.has(`${t}:${i}`)) return delivered
    }
    if (transaction.endLsn > delivered) delivered = transaction.endLsn
  }
  return delivered
}

const transactionsArbitrary = fc
  .array(fc.record({ gap: fc.bigInt({ min: 0n, max: 5000n }), factCount: fc.nat({ max: 6 }) }), {
    minLength: 1,
    maxLength: 40,
  })
  .map((drafts) => {
    let lsn = 0x16b3748n
    return drafts.map(({ gap, factCount }) => {
      lsn += gap
      return { endLsn: lsn, factCount }
    })
  })

describe('DeliveryTracker', () => {
  it('never passes an unacknowledged fact when a fake broker answers out of order and fails at random', () => {
    fc.assert(
      fc.property(
        transactionsArbitrary,
        fc.array(fc.nat(), { minLength: 1, maxLength: 400 }),
        (transactions, choices) => {
          const initial = 0x100n
          const tracker = new DeliveryTracker(initial)
          const tickets: TransactionTicket[] = []
          const wal: InFlightFact[] = transactions.flatMap((transaction, t) =>
            Array.from({ length: transaction.factCount }, (_, index) => ({ transaction: t, index })),
          )
          const acknowledged = new Set<string>()
          const inFlight: InFlightFact[] = []
          const retryLater: InFlightFact[] = []
          let registered = 0
          let nextFact = 0
          let previous = tracker.deliveredLsn

          const registerUpTo = (transaction: number) => {
            while (registered <= transaction && registered < transactions.length) {
              const { endLsn, factCount } = transactions[registered]!
              tickets.push(tracker.register(endLsn, factCount))
              registered += 1
            }
          }
          const check = () => {
            const expected = expectedDeliveredLsn(transactions, registered, acknowledged, initial)
            expect(tracker.deliveredLsn).toBe(expected)
            expect(tracker.deliveredLsn >= previous).toBe(true)
            previous = tracker.deliveredLsn
          }
          const answer = (choice: number, outcome: 'ack' | 'fail' | 'repeat') => {
            if (inFlight.length === 0) return
            const [fact] = inFlight.splice(choice % inFlight.length, 1)
            if (!fact) return
            if (outcome === 'fail') {
              retryLater.push(fact)
              return
            }
            acknowledged.add(`${fact.transaction}:${fact.index}`)
            tracker.settle(tickets[fact.transaction]!, fact.index)
            // A broker may repeat an answer (a retried request): it must change nothing.
            if (outcome === 'repeat') tracker.settle(tickets[fact.transaction]!, fact.index)
          }

          for (const choice of choices) {
            switch (choice % 5) {
              case 0: {
                // Read the next fact from the WAL (registering its transaction, and any empty ones before).
                const fact = wal[nextFact]
                if (fact) {
                  registerUpTo(fact.transaction)
                  inFlight.push(fact)
                  nextFact += 1
                } else registerUpTo(transactions.length - 1)
                break
              }
              case 1:
                answer(choice >> 3, 'ack')
                break
              case 2:
                answer(choice >> 3, 'fail')
                break
              case 3:
                answer(choice >> 3, 'repeat')
                break
              case 4:
                inFlight.push(...retryLater.splice(0))
                break
            }
            check()
          }

          // Recovery: the broker comes good and everything left is sent and acknowledged.
          registerUpTo(transactions.length - 1)
          inFlight.push(...retryLater.splice(0), ...wal.slice(nextFact))
          while (inFlight.length > 0) {
            answer(inFlight.length - 1, 'ack')
            check()
          }
          expect(tracker.deliveredLsn).toBe(
            transactions.at(-1)!.endLsn > initial ? transactions.at(-1)!.endLsn : initial,
          )
          expect(tracker.unsettledFacts).toBe(0)
          expect(tracker.pendingTransactions).toBe(0)
        },
      ),
      { numRuns: 300 },
    )
  })

  it('reports an advance exactly when the delivered LSN moves', () => {
    fc.assert(
      fc.property(transactionsArbitrary, fc.integer(), (transactions, seed) => {
        const tracker = new DeliveryTracker()
        const facts: Array<[TransactionTicket, number]> = []
        for (const { endLsn, factCount } of transactions) {
          const ticket = tracker.register(endLsn, factCount)
          for (let i = 0; i < factCount; i++) facts.push([ticket, i])
        }
        const order = fc.sample(fc.shuffledSubarray(facts, { minLength: facts.length }), {
          seed,
          numRuns: 1,
        })[0]!
        for (const [ticket, index] of order) {
          const before = tracker.deliveredLsn
          const advanced = tracker.settle(ticket, index)
          expect(advanced).toBe(tracker.deliveredLsn > before)
        }
        expect(tracker.deliveredLsn).toBe(transactions.at(-1)!.endLsn)
      }),
    )
  })

  it('covers empty transactions once every earlier one is delivered', () => {
    const tracker = new DeliveryTracker()
    const first = tracker.register(100n, 2)
    tracker.register(200n, 0)
    tracker.settle(first, 1)
    expect(tracker.deliveredLsn).toBe(0n)
    expect(tracker.settle(first, 0)).toBe(true)
    expect(tracker.deliveredLsn).toBe(200n)
    tracker.register(300n, 0)
    expect(tracker.deliveredLsn).toBe(300n)
  })

  it('stays exact across many transactions (compaction keeps tickets valid)', () => {
    const tracker = new DeliveryTracker()
    const tickets = Array.from({ length: 5000 }, (_, i) => tracker.register(BigInt(i + 1) * 10n, 1))
    for (let i = 0; i < 4000; i++) tracker.settle(tickets[i]!, 0)
    expect(tracker.deliveredLsn).toBe(40_000n)
    expect(tracker.settle(tickets[10]!, 0)).toBe(false)
    tracker.settle(tickets[4001]!, 0)
    expect(tracker.deliveredLsn).toBe(40_000n)
    tracker.settle(tickets[4000]!, 0)
    expect(tracker.deliveredLsn).toBe(40_020n)
    expect(tracker.pendingTransactions).toBe(998)
  })

  it('refuses transactions out of WAL order and facts that do not exist', () => {
    const tracker = new DeliveryTracker()
    const ticket = tracker.register(500n, 1)
    expect(() => tracker.register(400n, 1)).toThrow(/WAL order/)
    expect(() => tracker.settle(ticket, 1)).toThrow(RangeError)
    expect(() => tracker.settle(ticket + 7, 0)).toThrow(RangeError)
  })
})
