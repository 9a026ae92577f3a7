import type { Kafka, Producer } from 'kafkajs'
import type { DeadLetterRecord } from '../dead-letter.js'

/**
 * The producer of dead letters, as owlpost's: idempotent, acknowledged by all in-sync replicas,
 * one request in flight. Connected on the first dead letter, so a consumer that never has one
 * opens no producer.
 */
export class DeadLetterProducer {
  readonly #kafka: Kafka
  #producer: Producer | undefined
  #connecting: Promise<Producer> | undefined

  constructor(kafka: Kafka) {
    this.#kafka = kafka
  }

  async send(record: DeadLetterRecord): Promise<void> {
    const producer = await this.#connected()
    await producer.send({
      topic: record.topic,
      acks: -1,
      messages: [{ key: record.key, value: record.value, headers: record.headers }],
    })
  }

  async close(): Promise<void> {
    const producer = this.#producer
    this.#producer = undefined
    this.#connecting = undefined
    await producer?.disconnect()
  }

  #connected(): Promise<Producer> {
    if (!this.#connecting) {
      const producer = this.#kafka.producer({ idempotent: true, maxInFlightRequests: 1 })
      this.#connecting = producer.connect().then(
        () => {
          this.#producer = producer
          return producer
        },
        (error: unknown) => {
          this.#connecting = undefined
          throw error
        },
      )
    }
    return this.#connecting
  }
}
