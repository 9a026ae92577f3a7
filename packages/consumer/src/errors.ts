/** An option `consumeFacts` or a store cannot work with; `option` names it. */
export class ConsumerConfigError extends Error {
  override readonly name = 'ConsumerConfigError'
  readonly option: string

  constructor(option: string, problem: string) {
    super(`Invalid consumer option ${option}: ${problem}`)
    this.option = option
  }
}

/**
 * A handler (or the store's transaction around it) failed for a record. The consumer retries it
 * with backoff and never moves past it; this error is what it logs and hands to `hooks.retrying`.
 */
export class FactHandlerError extends Error {
  override readonly name = 'FactHandlerError'
  readonly topic: string
  readonly partition: number
  readonly offset: string
  readonly eventType: string
  readonly attempt: number

  constructor(
    record: { topic: string; partition: number; offset: string },
    eventType: string,
    attempt: number,
    cause: unknown,
  ) {
    const reason = cause instanceof Error ? cause.message : String(cause)
    super(
      `Handler for ${eventType} failed on ${record.topic}[${record.partition}]@${record.offset} (attempt ${attempt}): ${reason}`,
      { cause },
    )
    this.topic = record.topic
    this.partition = record.partition
    this.offset = record.offset
    this.eventType = eventType
    this.attempt = attempt
  }
}

/**
 * PostgreSQL answered COMMIT with ROLLBACK: a statement inside the transaction failed and the
 * handler caught the error. Nothing was applied, the fact's mark included; the consumer retries.
 */
export class TransactionRolledBackError extends Error {
  override readonly name = 'TransactionRolledBackError'
  readonly factKey: string

  constructor(factKey: string) {
    super(
      `COMMIT of fact ${factKey} rolled back: a statement in its transaction failed (was its error caught in the handler?)`,
    )
    this.factKey = factKey
  }
}
