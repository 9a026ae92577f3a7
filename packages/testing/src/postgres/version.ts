/** The PostgreSQL major versions the tests can run on. */
export type PostgresMajor = 15 | 16 | 17

const supported: readonly PostgresMajor[] = [15, 16, 17]

/** 17: the version with failover slots, so the whole suite meets what production will run. */
export const defaultPostgresMajor: PostgresMajor = 17

/** FACTLIB_TEST_POSTGRES_VERSION (15, 16 or 17), else the default. */
export function postgresMajor(env: NodeJS.ProcessEnv = process.env): PostgresMajor {
  const text = env.FACTLIB_TEST_POSTGRES_VERSION
  if (text === undefined || text === '') return defaultPostgresMajor
  const major = Number(text)
  if (!supported.includes(major as PostgresMajor)) {
    throw new Error(
      `FACTLIB_TEST_POSTGRES_VERSION=${text} is not supported: use one of ${supported.join(', ')}`,
    )
  }
  return major as PostgresMajor
}
