export interface KafkaOptions {
  /** Start a broker of our own even when FACTLIB_TEST_KAFKA_BROKERS names one (fault tests). */
  dedicated?: boolean
  /** Extra server.properties settings (local backend) or KAFKA_* env (container backend). */
  settings?: Record<string, string>
}
