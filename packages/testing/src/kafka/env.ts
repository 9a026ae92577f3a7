import { type KafkaService, NotControllableError } from '../services.js'
import { saslUser } from './server-properties.js'

/** A broker the caller already runs, named by FACTLIB_TEST_KAFKA_BROKERS (comma-separated). */
export function kafkaFromEnv(list: string): KafkaService {
  const sasl = process.env.FACTLIB_TEST_KAFKA_SASL_BROKERS
  const saslSsl = process.env.FACTLIB_TEST_KAFKA_SASL_SSL_BROKERS
  const tlsCaFile = process.env.FACTLIB_TEST_KAFKA_TLS_CA_FILE
  const refuse = (action: string) => () => Promise.reject(new NotControllableError('Kafka', action))
  return {
    backend: 'env',
    brokers: splitList(list),
    ...(sasl ? { saslBrokers: splitList(sasl), saslUser } : {}),
    ...(saslSsl && tlsCaFile ? { saslSslBrokers: splitList(saslSsl), tlsCaFile } : {}),
    start: refuse('started'),
    stop: refuse('stopped'),
    kill: refuse('killed'),
    dispose: async () => {},
  }
}

function splitList(list: string): string[] {
  return list
    .split(',')
    .map((broker) => broker.trim())
    .filter(Boolean)
}
