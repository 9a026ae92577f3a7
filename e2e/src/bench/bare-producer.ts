import kafkajs from 'kafkajs'

/**
 * A kafkajs producer with the sink's delivery settings (idempotent, one request in flight, the
 * default partitioner), for the baselines that measure Kafka without owlpost. bench.ts has the sink
 * load kafkajs first, so this is the kafkajs owlpost uses, corrections included: the baselines
 * differ from owlpost only in what owlpost does itself.
 */
export function bareProducer(brokers: string[], clientId: string): kafkajs.Producer {
  const kafka = new kafkajs.Kafka({ brokers, clientId, logLevel: kafkajs.logLevel.NOTHING })
  return kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: kafkajs.Partitioners.DefaultPartitioner,
  })
}
