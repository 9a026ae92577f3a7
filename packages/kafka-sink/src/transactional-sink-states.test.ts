import { describe, expect, it } from 'vitest'
import {
  IllegalTransitionError,
  isDelivering,
  isStopped,
  nextState,
  type TransactionalSinkEvent,
  type TransactionalSinkState,
  transactionalSinkEvents,
  transactionalSinkStates,
} from './transactional-sink-states.js'

// Every move the exactly-once sink may make, written out once more by hand: `from event to`.
// Any pair of state and event not listed here must be refused.
const legal = `
  new connect connecting
  connecting connected standby
  closed connected closed
  connecting connectFailed new
  closed connectFailed closed
  idle stop lost
  open stop lost
  committing stop lost
  standby stop standby
  aborting stop aborting
  lost stop lost
  fenced stop fenced
  halted stop halted
  closed stop closed
  standby resumed idle
  lost resumed idle
  idle begin open
  open commit committing
  committing committed idle
  lost committed lost
  closed committed closed
  open abort aborting
  committing abort aborting
  open timedOut lost
  committing timedOut lost
  aborting aborted lost
  fenced aborted fenced
  closed aborted closed
  standby fence fenced
  idle fence fenced
  open fence fenced
  committing fence fenced
  aborting fence fenced
  lost fence fenced
  fenced fence fenced
  halted fence halted
  closed fence closed
  standby halt halted
  idle halt halted
  open halt halted
  committing halt halted
  aborting halt halted
  lost halt halted
  fenced halt fenced
  halted halt halted
  closed halt closed
  ${transactionalSinkStates.map((state) => `${state} close closed`).join('\n')}
`

const expected = new Map<string, TransactionalSinkState>()
for (const line of legal.trim().split('\n')) {
  const [from, event, to] = line.trim().split(/\s+/) as [
    TransactionalSinkState,
    TransactionalSinkEvent,
    TransactionalSinkState,
  ]
  expected.set(`${from} ${event}`, to)
}

/** What the implementation says, undefined where it refuses. */
function tryNext(state: TransactionalSinkState, event: TransactionalSinkEvent) {
  try {
    return nextState(state, event)
  } catch (error) {
    if (error instanceof IllegalTransitionError) return undefined
    throw error
  }
}

const pairs = transactionalSinkStates.flatMap((state) =>
  transactionalSinkEvents.map((event) => ({ state, event })),
)

describe('the exactly-once sink state machine', () => {
  it.each(pairs)('$state + $event', ({ state, event }) => {
    const to = expected.get(`${state} ${event}`)
    if (to !== undefined) {
      expect(nextState(state, event)).toBe(to)
      return
    }
    let refusal: unknown
    try {
      nextState(state, event)
    } catch (error) {
      refusal = error
    }
    expect(refusal).toBeInstanceOf(IllegalTransitionError)
    expect(refusal).toMatchObject({ state, event })
    expect((refusal as Error).message).toBe(
      `the exactly-once sink cannot take '${event}' in state '${state}'`,
    )
  })

  it('lists only states and events it knows', () => {
    for (const key of expected.keys()) {
      const [state, event] = key.split(' ') as [TransactionalSinkState, TransactionalSinkEvent]
      expect(transactionalSinkStates).toContain(state)
      expect(transactionalSinkEvents).toContain(event)
    }
  })

  it('never delivers again once stopped, and never leaves closed', () => {
    for (const { state, event } of pairs) {
      if (!isStopped(state)) continue
      const to = tryNext(state, event)
      if (to === undefined) continue
      expect(isDelivering(to), `${state} + ${event}`).toBe(false)
      expect(isStopped(to), `${state} + ${event}`).toBe(true)
      if (state === 'closed') expect(to).toBe('closed')
    }
  })

  it('reaches every state from new', () => {
    const reached = new Set<TransactionalSinkState>(['new'])
    for (let grown = true; grown; ) {
      grown = false
      for (const { state, event } of pairs) {
        const to = tryNext(state, event)
        if (reached.has(state) && to !== undefined && !reached.has(to)) {
          reached.add(to)
          grown = true
        }
      }
    }
    expect([...reached].sort()).toEqual([...transactionalSinkStates].sort())
  })
})
