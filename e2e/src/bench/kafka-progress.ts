import kafkajs from 'kafkajs'

/**
 * Waits until the topics' high watermarks (summed over partitions, minus where they started) reach
 * `target`: with acks=-1 and one replica, a record below the high watermark is one Kafka has
 * acknowledged. Asked of the broker, so it costs owlpost nothing (scraping /metrics often does).
 */
export async function watchTopicOffsets(brokers: string[], topics: string[]) {
  const admin = new kafkajs.Kafka({
    brokers,
    clientId: 'bench-offsets',
    logLevel: kafkajs.logLevel.NOTHING,
  }).admin()
  await admin.connect()
  const total = async () => {
    let sum = 0
    for (const topic of topics) {
      for (const partition of await admin.fetchTopicOffsets(topic)) sum += Number(partition.high)
    }
    return sum
  }
  const base = await total()
  const appended = async () => (await total()) - base
  return {
    /** Records acknowledged beyond the start, now. */
    appended,
    /** Resolves with performance.now() when `target` records beyond the start are acknowledged. */
    async until(target: number, timeoutMs: number, intervalMs = 50): Promise<number> {
      const deadline = performance.now() + timeoutMs
      for (;;) {
        const reached = await appended()
        if (reached >= target) return performance.now()
        if (performance.now() > deadline)
          throw new Error(`only ${reached} of ${target} records reached ${topics}`)
        await new Promise((resolve) => setTimeout(resolve, intervalMs))
      }
    },
    close: () => admin.disconnect(),
  }
}
