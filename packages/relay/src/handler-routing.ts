/// <reference types="node" preserve="true" />
import { type FactFunction, FunctionHandler } from './function-handler.js'
import type { CheckpointedHandler, FactHandler, PlainHandler } from './handler.js'
import type { Logger } from './logger.js'
import type { RelayOptions } from './relay-options.js'

/** The relay's handlers, of one kind: plain ones (each once, with each prefix's index), or one checkpointed. */
export type RoutedHandlers =
  | { kind: 'plain'; handlers: PlainHandler[]; route: Map<string, number> }
  | { kind: 'checkpointed'; handler: CheckpointedHandler; route: Map<string, number> }

/**
 * Each prefix's handler from the options: `handlers[prefix]`, else `handler`; a function becomes a
 * FunctionHandler (`stop` ends its retries). A handler given for several prefixes is one handler.
 */
export function routeHandlers(options: RelayOptions, stop: AbortSignal, logger: Logger): RoutedHandlers {
  const wrap = (given: FactHandler | FactFunction): FactHandler =>
    typeof given === 'function'
      ? new FunctionHandler(
          given,
          options.onHandlerError ?? 'halt',
          stop,
          logger,
          options.reconnectMaxBackoffMs ?? 30_000,
        )
      : given
  const indexOf = new Map<FactHandler | FactFunction, number>()
  const handlers: FactHandler[] = []
  const route = new Map<string, number>()
  for (const prefix of options.source.prefixes) {
    const given = options.handlers?.[prefix] ?? options.handler
    if (!given)
      throw new RangeError(`no handler for prefix '${prefix}': give handlers['${prefix}'] or handler`)
    let index = indexOf.get(given)
    if (index === undefined) {
      index = handlers.push(wrap(given)) - 1
      indexOf.set(given, index)
    }
    route.set(prefix, index)
  }
  const plain: PlainHandler[] = []
  const checkpointed: CheckpointedHandler[] = []
  for (const handler of handlers) {
    if (handler.kind === 'plain') plain.push(handler)
    else if (handler.kind === 'checkpointed') checkpointed.push(handler)
    else throw new TypeError(kindMissing(handler))
  }
  if (checkpointed.length === 0) return { kind: 'plain', handlers: plain, route }
  if (handlers.length > 1) {
    throw new RangeError(
      "a handler that keeps its own checkpoint (kind 'checkpointed') must handle every prefix: give it as `handler`",
    )
  }
  return { kind: 'checkpointed', handler: checkpointed[0]!, route }
}

/** A handler object written for @factlib/relay 0.1 (onDelivered, resume by presence) has no kind. */
function kindMissing(handler: never): string {
  const kind = (handler as { kind?: unknown }).kind
  return (
    `a handler object needs kind 'plain' or 'checkpointed', got ${String(kind)}: ` +
    'give it `kind` and `events(listener)` in place of onDelivered/onLost (see the @factlib/relay README)'
  )
}
