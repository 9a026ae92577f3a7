import { createSinkOnClient } from '../create-sink.js'
import type { KafkaSink, KafkaSinkOptions } from '../sink-types.js'
import { createKafkajsClient } from './client.js'

/**
 * Creates a sink on kafkajs. Call connect() before send(). With `deliveryGuarantee:
 * 'exactly-once'` it is the transactional sink, which also needs resume() (the relay calls it).
 */
export function createKafkaSink(options: KafkaSinkOptions): KafkaSink {
  return createSinkOnClient(options, createKafkajsClient)
}
