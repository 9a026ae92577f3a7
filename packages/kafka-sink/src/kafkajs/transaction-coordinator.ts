// kafkajs asks the cluster which broker coordinates a transactional id (a FindCoordinator round
// trip) before every AddPartitionsToTxn and EndTxn, and again before every retry of them. The first
// produce of each Kafka transaction is retried while the previous commit's markers are written
// (CONCURRENT_TRANSACTIONS), so an exactly-once relay made about four lookups per transaction, each
// as long as the request it was for. Like the Java producer, this keeps the coordinator found until
// a request to it fails for a reason other than CONCURRENT_TRANSACTIONS: the next lookup then asks
// the cluster again.

/** Kafka's coordinator type of a transactional id (kafkajs/src/protocol/coordinatorTypes.js). */
const transactionCoordinator = 1

interface CoordinatorQuery {
  groupId: string
  coordinatorType?: number
}

type FindCoordinator<Broker extends object> = (this: object, query: CoordinatorQuery) => Promise<Broker>

/** Each cluster's remembered coordinators, by transactional id. */
const remembered = new WeakMap<object, Map<string, object>>()

/**
 * kafkajs's Cluster#findGroupCoordinator, remembering transaction coordinators per cluster (each
 * producer has its own). Group coordinators are asked for every time, as before. The broker handed
 * out forgets itself when one of its requests fails (NOT_COORDINATOR, a lost connection, anything
 * but CONCURRENT_TRANSACTIONS): a retry then finds the coordinator afresh, as it did before.
 */
export function rememberTransactionCoordinator<Broker extends object>(
  find: FindCoordinator<Broker>,
): FindCoordinator<Broker> {
  return async function (this: object, query: CoordinatorQuery): Promise<Broker> {
    if (query.coordinatorType !== transactionCoordinator) return find.call(this, query)
    let coordinators = remembered.get(this)
    if (!coordinators) {
      coordinators = new Map()
      remembered.set(this, coordinators)
    }
    const known = coordinators.get(query.groupId)
    if (known) return known as Broker
    const broker = await find.call(this, query)
    const forgetting = forgetOnFailure(broker, () => {
      if (coordinators.get(query.groupId) === forgetting) coordinators.delete(query.groupId)
    })
    coordinators.set(query.groupId, forgetting)
    return forgetting
  }
}

/**
 * CONCURRENT_TRANSACTIONS comes from the right coordinator (the previous commit's markers are still
 * being written), and is what the first produce of every transaction meets: the one failure that
 * keeps the coordinator. Anything else may mean it moved or is gone.
 */
function coordinatorAnswered(error: unknown): boolean {
  return (error as { type?: unknown } | null)?.type === 'CONCURRENT_TRANSACTIONS'
}

/** The broker, whose requests (its methods returning promises) call `forget` when they reject. */
function forgetOnFailure<Broker extends object>(broker: Broker, forget: () => void): Broker {
  return new Proxy(broker, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target)
      if (typeof value !== 'function') return value
      return (...args: unknown[]) => {
        const result: unknown = value.apply(target, args)
        if (!(result instanceof Promise)) return result
        return result.catch((error: unknown) => {
          if (!coordinatorAnswered(error)) forget()
          throw error
        })
      }
    },
  })
}
