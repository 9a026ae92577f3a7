export { DeliveryTracker, type TransactionTicket } from './delivery-tracker.js'
export {
  KafkaConnectError,
  KafkaDeliveryError,
  KafkaSinkConfigError,
  ProducerFencedError,
  SinkClosedError,
  SinkHaltedError,
  SinkNotConnectedError,
  TopicMissingError,
  TransactionAbortedError,
  TransactionTimedOutError,
} from './errors.js'
export { DeadLetterHeaderName } from './fact-router.js'
export { createKafkaSink } from './kafka-sink.js'
export { type CompressionCodecFactory, registerCompressionCodec } from './kafkajs-client.js'
export {
  type KafkajsCorrection,
  type KafkajsCorrectionName,
  kafkajsCorrectionNames,
  kafkajsCorrections,
} from './kafkajs-patches.js'
export type { Logger } from './logger.js'
export type {
  AtLeastOnceSink,
  CompressionName,
  DeliveryFailureType,
  DeliveryGuarantee,
  ExactlyOnceOptions,
  ExactlyOnceSink,
  KafkaSink,
  KafkaSinkOptions,
  OmittedValue,
  RoutedEnvelope,
  SinkCheckpoint,
  SinkDelivered,
  SinkEvent,
  SinkFact,
  SinkHooks,
  SinkTransaction,
} from './sink-types.js'
