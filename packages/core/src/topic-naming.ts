/** Kafka topic of a fact: `<prefix>.<aggregateType>`, the Go factlib convention. */
export function topicFor(prefix: string, aggregateType: string): string {
  return `${prefix}.${aggregateType}`
}

/** Kafka topic for facts that cannot be delivered to their own topic. */
export function deadLetterTopicFor(prefix: string): string {
  return `${prefix}.dead-letter`
}
