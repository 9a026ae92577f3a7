import { startKafka, uniqueName } from '@factlib/testing'
import { describe, expect, it } from 'vitest'
import { kafkajs } from './patches.js'
import { rememberTransactionCoordinator } from './transaction-coordinator.js'

const group = 0
const transaction = 1

/** A cluster whose lookups count, handing out brokers whose requests fail when told to. */
function fakeCluster() {
  let lookups = 0
  let failNext: string | undefined
  const find = async function (this: object, query: { groupId: string; coordinatorType?: number }) {
    lookups++
    return {
      nodeId: lookups,
      forId: query.groupId,
      async endTxn() {
        if (failNext) {
          const type = failNext
          failNext = undefined
          throw Object.assign(new Error(type), { type })
        }
        return 'committed'
      },
    }
  }
  return {
    cluster: {},
    find: rememberTransactionCoordinator(find),
    lookups: () => lookups,
    failNextRequest: (type: string) => {
      failNext = type
    },
  }
}

describe('rememberTransactionCoordinator', () => {
  it('looks a transactional id up once per cluster, and group coordinators every time', async () => {
    const { cluster, find, lookups } = fakeCluster()
    const first = await find.call(cluster, { groupId: 'tx', coordinatorType: transaction })
    const again = await find.call(cluster, { groupId: 'tx', coordinatorType: transaction })
    expect(again).toBe(first)
    expect(await again.endTxn()).toBe('committed')
    expect(lookups()).toBe(1)
    // Another id, another cluster (another producer): looked up.
    expect((await find.call(cluster, { groupId: 'other', coordinatorType: transaction })).forId).toBe('other')
    await find.call({}, { groupId: 'tx', coordinatorType: transaction })
    expect(lookups()).toBe(3)
    await find.call(cluster, { groupId: 'group', coordinatorType: group })
    await find.call(cluster, { groupId: 'group' })
    expect(lookups()).toBe(5)
  })

  it('forgets a coordinator whose request failed, so the retry asks the cluster again', async () => {
    const { cluster, find, lookups, failNextRequest } = fakeCluster()
    const first = await find.call(cluster, { groupId: 'tx', coordinatorType: transaction })
    // The previous commit's markers not yet written: the coordinator answered, and is kept.
    failNextRequest('CONCURRENT_TRANSACTIONS')
    await expect(first.endTxn()).rejects.toThrow('CONCURRENT_TRANSACTIONS')
    expect(await find.call(cluster, { groupId: 'tx', coordinatorType: transaction })).toBe(first)
    failNextRequest('NOT_COORDINATOR')
    await expect(first.endTxn()).rejects.toThrow('NOT_COORDINATOR')
    const next = await find.call(cluster, { groupId: 'tx', coordinatorType: transaction })
    expect(lookups()).toBe(2)
    expect(next.nodeId).toBe(2)
    // The failed broker, still held by a request in flight, does not evict its successor.
    failNextRequest('NOT_COORDINATOR')
    await expect(first.endTxn()).rejects.toThrow('NOT_COORDINATOR')
    expect(await find.call(cluster, { groupId: 'tx', coordinatorType: transaction })).toBe(next)
  })

  it('makes kafkajs look the coordinator up once for many transactions on a real broker', async () => {
    const { brokers } = await startKafka()
    const topic = uniqueName('coordinator')
    const kafka = new kafkajs.Kafka({ brokers, logLevel: kafkajs.logLevel.NOTHING })
    const admin = kafka.admin()
    await admin.connect()
    await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true })
    await admin.disconnect()
    const producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      transactionalId: uniqueName('coordinator-tx'),
      retry: { retries: 40, initialRetryTime: 1, multiplier: 1.2 },
    })
    const requests: string[] = []
    producer.on(producer.events.REQUEST, ({ payload }) => requests.push(payload.apiName))
    await producer.connect()
    const transact = async (round: number) => {
      const tx = await producer.transaction()
      await tx.send({ topic, messages: [{ key: `k${round}`, value: 'v' }] })
      await tx.commit()
    }
    try {
      // The first lookups may meet a coordinator still loading __transaction_state.
      await transact(0)
      requests.length = 0
      for (let round = 1; round <= 5; round++) await transact(round)
    } finally {
      await producer.disconnect()
    }
    const count = (api: string) => requests.filter((name) => name === api).length
    expect(count('EndTxn')).toBe(5)
    expect(count('AddPartitionsToTxn')).toBeGreaterThanOrEqual(5)
    // Stock kafkajs looks it up before each AddPartitionsToTxn attempt and each EndTxn: 10 or more.
    expect(count('GroupCoordinator')).toBe(0)
  }, 60_000)
})
