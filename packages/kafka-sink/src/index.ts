export { DeliveryTracker, type TransactionTicket } from './delivery-tracker.js'
export {
  KafkaConnectError,
  KafkaDeliveryError,
  KafkaSinkConfigError,
  SinkClosedError,
  SinkHaltedError,
  SinkNotConnectedError,
  TopicMissingError,
} from './errors.js'
export { DeadLetterHeaderName } from './fact-routing.js'
export { createKafkaSink } from './kafka-sink.js'
export { type CompressionCodecFactory, registerCompressionCodec } from './kafkajs-client.js'
export type { Logger } from './logger.js'
export type {
  CompressionName,
  DeliveryFailureType,
  KafkaSink,
  KafkaSinkOptions,
  RoutedEnvelope,
  SinkFact,
  SinkHooks,
  SinkTransaction,
} from './sink-types.js'
