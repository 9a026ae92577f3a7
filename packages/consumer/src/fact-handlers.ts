import type { DecodedFact, TypedFact } from '@factlib/core'
import type { FactEnvelope } from '@factlib/core/wire'
import type { FactRecord, FactRecordHeaders } from './fact-record.js'

/** What a handler is given: the fact, where it came from, and the store's open transaction. */
export interface FactContext<F, Tx> {
  /** The fact: its payload decoded by the fact definition, or the raw envelope for event handlers. */
  readonly fact: F
  /** The envelope as decoded from the record, payload bytes untouched. */
  readonly envelope: FactEnvelope
  /** owlpost's headers: `event_id`, `LSN`, trace. */
  readonly headers: FactRecordHeaders
  readonly record: FactRecord
  /**
   * The store's transaction. Write the fact's effect through it: the mark that the fact was
   * applied commits with it, or neither does.
   */
  readonly tx: Tx
}

export type HandlerFunction<F, Tx> = (context: FactContext<F, Tx>) => Promise<void> | void

/** A handler, made by the builder `handlers` is given; matched by aggregate and event type or by event type. */
export interface FactHandler<Tx> {
  readonly aggregateType: string | undefined
  readonly eventType: string
  /** Decodes the payload when the handler has a fact definition; a failure goes to the dead-letter topic. */
  readonly decode: (
    envelope: FactEnvelope,
  ) => { success: true; fact: unknown } | { success: false; error: Error }
  readonly run: HandlerFunction<unknown, Tx>
}

/** The builder passed to `handlers`; it knows the store's transaction type. */
export interface HandlerBuilder<Tx> {
  /** A handler of one fact definition (`defineFact`): its payload arrives decoded and checked. */
  <A, I>(definition: TypedFact<A, I>, handler: HandlerFunction<DecodedFact<A>, Tx>): FactHandler<Tx>
  /** A handler of every fact of an event type, whatever its aggregate type; the payload stays bytes. */
  event(eventType: string, handler: HandlerFunction<FactEnvelope, Tx>): FactHandler<Tx>
}

export function handlerBuilder<Tx>(): HandlerBuilder<Tx> {
  const forDefinition = <A, I>(
    definition: TypedFact<A, I>,
    handler: HandlerFunction<DecodedFact<A>, Tx>,
  ): FactHandler<Tx> => ({
    aggregateType: definition.aggregateType,
    eventType: definition.eventType,
    decode: (envelope) => {
      const result = definition.safeDecode(envelope)
      return result.success ? { success: true, fact: result.fact } : { success: false, error: result.error }
    },
    run: handler as HandlerFunction<unknown, Tx>,
  })
  return Object.assign(forDefinition, {
    event: (eventType: string, handler: HandlerFunction<FactEnvelope, Tx>): FactHandler<Tx> => ({
      aggregateType: undefined,
      eventType,
      decode: (envelope: FactEnvelope) => ({ success: true as const, fact: envelope }),
      run: handler as HandlerFunction<unknown, Tx>,
    }),
  })
}

/**
 * Finds the handler of a fact: the one for its aggregate and event type (a fact definition) first,
 * else the one for its event type. Two handlers for the same pair are refused up front.
 */
export class HandlerTable<Tx> {
  readonly #byFact = new Map<string, FactHandler<Tx>>()
  readonly #byEvent = new Map<string, FactHandler<Tx>>()

  constructor(handlers: ReadonlyArray<FactHandler<Tx>>) {
    for (const handler of handlers) {
      const table = handler.aggregateType === undefined ? this.#byEvent : this.#byFact
      const name = nameOf(handler.aggregateType, handler.eventType)
      if (table.has(name)) throw new RangeError(`two handlers for ${name}`)
      table.set(name, handler)
    }
  }

  get size(): number {
    return this.#byFact.size + this.#byEvent.size
  }

  find(aggregateType: string, eventType: string): FactHandler<Tx> | undefined {
    return (
      this.#byFact.get(nameOf(aggregateType, eventType)) ?? this.#byEvent.get(nameOf(undefined, eventType))
    )
  }
}

function nameOf(aggregateType: string | undefined, eventType: string): string {
  return aggregateType === undefined ? `event ${eventType}` : `fact ${aggregateType}/${eventType}`
}
