// The package's public face. The sinks know Kafka only through the ProducerClient interface; the
// kafkajs/ folder implements it on kafkajs and is the only place that knows kafkajs.
export { createSinkOnClient, type ExactlyOnceSinkOptions } from './create-sink.js'
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
export { type CompressionCodecFactory, registerCompressionCodec } from './kafkajs/compression.js'
export {
  type KafkajsCorrection,
  type KafkajsCorrectionName,
  kafkajsCorrectionNames,
} from './kafkajs/corrections.js'
export { createKafkaSink } from './kafkajs/create-kafka-sink.js'
// Also what corrects kafkajs, when this package loads (package.json lists it among sideEffects).
export { kafkajsCorrections } from './kafkajs/patches.js'
export type { Logger } from './logger.js'
export {
  type BrokerLimits,
  type OutgoingRecord,
  ProduceFailure,
  type ProduceFailureKind,
  type ProducerClient,
  type ProducerClientSettings,
  type TopicSettings,
  type TransactionalProducerClient,
} from './producer-client.js'
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
