export type { FactTransaction, OmittedValue, RelayFact } from './fact-transaction.js'
export { type FactFunction, type HandlerErrorPolicy, HandlerFailedError } from './function-handler.js'
export type {
  CheckpointedHandler,
  DeliveredEvent,
  FactHandler,
  HandlerEvent,
  LostEvent,
  PlainHandler,
} from './handler.js'
export type { HandlerCheckpoint } from './handler-checkpoint.js'
export type { Logger } from './logger.js'
export { type MissingSlot, type MissingSlotGuard, SlotRecreateRefusedError } from './missing-slot.js'
export { CheckpointedPosition, PlainPosition, Position } from './position.js'
export {
  CheckpointAheadError,
  createRelay,
  type Relay,
  type RelayHooks,
  type RelayOptions,
  type RelayRole,
  type RelayStatus,
  type SessionStep,
  type SourceOptions,
} from './relay.js'
export { SlotSetupError } from './slot-setup.js'
export { type FactDelivery, type SubscribeOptions, subscribeFacts } from './subscribe-facts.js'
export { nonTransactionalReason } from './transaction-assembler.js'
