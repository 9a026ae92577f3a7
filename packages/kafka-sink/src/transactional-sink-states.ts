// The exactly-once sink's states and the only ways between them: a pure table, no I/O. The sink
// (transactional-sink.ts) and its delivery loop (transaction-loop.ts) move only through
// nextState(), so a move the table does not list is a bug that shows as IllegalTransitionError
// naming the state and the event, never a sink quietly in a state nobody thought of.
//
// The invariant: once stopped (fenced, halted or closed) the sink never delivers again, and
// closed is final; every other state can be closed.

/**
 * - new: not connected; connect() may be called.
 * - connecting: connect() is under way.
 * - standby: connected, the transactional id untouched (a standby must not fence the active).
 * - idle: delivering, no Kafka transaction open.
 * - open: a Kafka transaction is open and records are produced in it.
 * - committing: its checkpoint and EndTxn(commit) are under way.
 * - aborting: a failure ended the transaction; its facts are dropped and it is being aborted.
 * - lost: the transaction is over and its facts dropped; waiting for resume().
 * - fenced: another producer took the transactional id; stopped for good.
 * - halted: stopped for good on a permanent error (a refused record in halt mode, a bug).
 * - closed: close() was called; final.
 */
export const transactionalSinkStates = [
  'new',
  'connecting',
  'standby',
  'idle',
  'open',
  'committing',
  'aborting',
  'lost',
  'fenced',
  'halted',
  'closed',
] as const

export type TransactionalSinkState = (typeof transactionalSinkStates)[number]

/**
 * - connect, connected, connectFailed: connect() starts, succeeds, fails.
 * - stop: resume() begins a new replication session; the delivery loop stops.
 * - resumed: the transactional id is registered and the checkpoint read: delivering.
 * - begin, commit, committed: a Kafka transaction opens, starts committing, has committed.
 * - abort, aborted: a failure ends the transaction, which the sink aborts; the abort is done.
 * - timedOut: a failure the coordinator already ended (the transaction outlived its timeout).
 * - fence, halt, close: stop for good.
 */
export const transactionalSinkEvents = [
  'connect',
  'connected',
  'connectFailed',
  'stop',
  'resumed',
  'begin',
  'commit',
  'committed',
  'abort',
  'timedOut',
  'aborted',
  'fence',
  'halt',
  'close',
] as const

export type TransactionalSinkEvent = (typeof transactionalSinkEvents)[number]

type Moves = Partial<Record<TransactionalSinkState, TransactionalSinkState>>

/** What stays where it is: an event that may arrive in these states and changes nothing. */
const staying = (...states: TransactionalSinkState[]): Moves =>
  Object.fromEntries(states.map((state) => [state, state]))

/** Where each event leads from each state it may arrive in; any other pair is illegal. */
const transitions: Record<TransactionalSinkEvent, Moves> = {
  connect: { new: 'connecting' },
  // Closed while connecting: the client just connected is disconnected again.
  connected: { connecting: 'standby', ...staying('closed') },
  connectFailed: { connecting: 'new', ...staying('closed') },
  // Delivering stops; an abort under way finishes on its own, and a stopped sink stays stopped.
  stop: {
    idle: 'lost',
    open: 'lost',
    committing: 'lost',
    ...staying('standby', 'aborting', 'lost', 'fenced', 'halted', 'closed'),
  },
  resumed: { standby: 'idle', lost: 'idle' },
  begin: { idle: 'open' },
  commit: { open: 'committing' },
  // A commit under way when the session stopped or the sink closed did commit.
  committed: { committing: 'idle', ...staying('lost', 'closed') },
  abort: { open: 'aborting', committing: 'aborting' },
  timedOut: { open: 'lost', committing: 'lost' },
  // The abort may end in a fence (the abort itself was fenced) or after close().
  aborted: { aborting: 'lost', ...staying('fenced', 'closed') },
  // The first reason to stop stands.
  fence: { ...stoppable('fenced'), ...staying('fenced', 'halted', 'closed') },
  halt: { ...stoppable('halted'), ...staying('fenced', 'halted', 'closed') },
  close: Object.fromEntries(transactionalSinkStates.map((state) => [state, 'closed'])),
}

/** Every state with a client that can stop for good, to `to`. */
function stoppable(to: TransactionalSinkState): Moves {
  const from: TransactionalSinkState[] = ['standby', 'idle', 'open', 'committing', 'aborting', 'lost']
  return Object.fromEntries(from.map((state) => [state, to]))
}

/** An event the state machine does not allow in the state it arrived in: a bug in the sink. */
export class IllegalTransitionError extends Error {
  override readonly name = 'IllegalTransitionError'
  constructor(
    readonly state: TransactionalSinkState,
    readonly event: TransactionalSinkEvent,
  ) {
    super(`the exactly-once sink cannot take '${event}' in state '${state}'`)
  }
}

/** The state `event` leads to from `state`; throws IllegalTransitionError when it leads nowhere. */
export function nextState(
  state: TransactionalSinkState,
  event: TransactionalSinkEvent,
): TransactionalSinkState {
  const next = transitions[event][state]
  if (next === undefined) throw new IllegalTransitionError(state, event)
  return next
}

/** Whether the sink takes send() and its delivery loop runs. */
export function isDelivering(state: TransactionalSinkState): boolean {
  return state === 'idle' || state === 'open' || state === 'committing'
}

/** Whether the sink has stopped for good. */
export function isStopped(state: TransactionalSinkState): boolean {
  return state === 'fenced' || state === 'halted' || state === 'closed'
}
