// Delivers three facts to Kafka and prints how far delivery got.
// Run (after `pnpm --filter @factlib/kafka-sink build`):
//   KAFKA_BROKERS=127.0.0.1:9092 node examples/deliver-facts.ts
import { createEnvelope, encodeEnvelope } from '@factlib/core'
import { createKafkaSink } from '@factlib/kafka-sink'

const sink = createKafkaSink({
  brokers: (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(','),
  createTopics: { partitions: 3, replicationFactor: 1 },
  hooks: {
    deadLettered: (reason, topic) => console.error(`dead-lettered (meant for ${topic}): ${reason}`),
    healthChanged: (healthy, error) => console.log(healthy ? 'healthy' : `unhealthy: ${error?.message}`),
  },
})
sink.onDelivered((lsn) => console.log(`delivered up to LSN ${lsn.toString(16)}`))
await sink.connect()

// In owlpost these come from pgoutput logical messages; here we make them up.
const facts = ['order-1', 'order-2', 'order-1'].map((orderId, i) => ({
  prefix: 'shop',
  lsn: 0x16b3748n + BigInt(i) * 0x40n,
  value: encodeEnvelope(
    createEnvelope({
      aggregateType: 'order',
      aggregateId: orderId,
      eventType: 'order.placed',
      payload: new TextEncoder().encode(JSON.stringify({ orderId, step: i })),
    }),
  ),
}))
await sink.send({ endLsn: 0x16b3800n, facts })

if (!(await sink.drain(30_000))) console.error('not everything was delivered within 30 s')
console.log(`deliveredLsn = ${sink.deliveredLsn.toString(16)}`) // safe to confirm to PostgreSQL
await sink.close()
