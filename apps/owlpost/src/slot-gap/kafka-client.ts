// Loads the sink before kafkajs: four of its corrections to kafkajs apply only if kafkajs has not
// been loaded yet, and the CLI reaches this module (through `inspect`) before the relay's sink.
import '@factlib/kafka-sink'
import { Kafka, type KafkaConfig, logLevel } from 'kafkajs'
import { kafkaSsl, type OwlpostConfig } from '../config/load-config.js'

/** A kafkajs client with the sink's brokers, TLS and SASL, for owlpost's own reads; it logs nothing. */
export function kafkaClient(kafka: OwlpostConfig['kafka'], purpose: string): Kafka {
  return new Kafka({
    brokers: [...kafka.brokers],
    clientId: `${kafka.clientId}.${purpose}`,
    ...(kafka.sasl ? { sasl: kafka.sasl as KafkaConfig['sasl'] } : {}),
    ssl: kafkaSsl(kafka),
    logLevel: logLevel.NOTHING,
  })
}
