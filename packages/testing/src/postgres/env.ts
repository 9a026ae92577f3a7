import { NotControllableError, type PostgresService } from '../services.js'

/** A server the caller already runs, named by FACTLIB_TEST_DATABASE_URL. */
export function postgresFromUrl(url: string): PostgresService {
  const parsed = new URL(url)
  const refuse = (action: string) => () => Promise.reject(new NotControllableError('PostgreSQL', action))
  return {
    backend: 'env',
    url,
    host: parsed.hostname,
    port: Number(parsed.port || 5432),
    user: decodeURIComponent(parsed.username),
    password: decodeURIComponent(parsed.password),
    urlFor: (database, as) => {
      const next = new URL(url)
      next.pathname = `/${database}`
      if (as) {
        next.username = encodeURIComponent(as.user)
        next.password = as.password ? encodeURIComponent(as.password) : ''
      }
      return next.toString()
    },
    start: refuse('started'),
    stop: refuse('stopped'),
    kill: refuse('killed'),
    dispose: async () => {},
  }
}
