import { topicFor } from '@factlib/core/wire'

/** Kafka's rule for topic names: up to 249 of [a-zA-Z0-9._-], and not `.` or `..`. */
export function topicNameProblem(topic: string): string | undefined {
  if (topic.length === 0) return 'is empty'
  if (topic.length > 249) return `is ${topic.length} characters long (at most 249)`
  if (topic === '.' || topic === '..') return 'may not be "." or ".."'
  if (!/^[a-zA-Z0-9._-]+$/.test(topic))
    return 'has characters other than ASCII letters, digits, ".", "_" and "-"'
  return undefined
}

/** A fact's topic and, when Kafka would refuse that name, why. */
export interface TopicChoice {
  readonly topic: string
  readonly problem: string | undefined
}

/**
 * Topic names per prefix and aggregate type, worked out and checked once each: the relay routes
 * every fact, and a service has a handful of aggregate types. Past `capacity` pairs (a producer
 * inventing aggregate types) names are worked out every time rather than remembered.
 */
export class TopicNames {
  readonly #byPrefix = new Map<string, Map<string, TopicChoice>>()
  #size = 0

  constructor(private readonly capacity = 10_000) {}

  choose(prefix: string, aggregateType: string): TopicChoice {
    let byType = this.#byPrefix.get(prefix)
    const known = byType?.get(aggregateType)
    if (known) return known
    const topic = topicFor(prefix, aggregateType)
    const choice = { topic, problem: topicNameProblem(topic) }
    if (this.#size < this.capacity) {
      if (!byType) {
        byType = new Map()
        this.#byPrefix.set(prefix, byType)
      }
      byType.set(aggregateType, choice)
      this.#size++
    }
    return choice
  }
}
