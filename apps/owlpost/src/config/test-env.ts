import { expect } from 'vitest'
import { ConfigError, loadConfig } from './load-config.js'

/** The fewest variables owlpost starts with; tests of the configuration add to them. */
export const minimal = {
  WAL_PREFIX: 'westeros',
  MASTER_DATABASE_URL: 'postgres://relay:s3cret@db:5432/app',
  KAFKA_BROKERS: 'k1:9092, k2:9092',
}

/** `VARIABLE: message` for each problem loadConfig finds; none when the environment loads. */
export function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env)
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError)
    return (error as ConfigError).problems.map((problem) => `${problem.variable}: ${problem.message}`)
  }
  return []
}
