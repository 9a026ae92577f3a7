import { defineConfig } from 'vitest/config'

/**
 * postgres.js 3.4.9 writes from a setImmediate scheduled before the connection broke; when a test
 * SIGKILLs a server mid-write (the failover test), that write meets a null socket and throws
 * outside any promise. The writers' own errors are handled; only this crash of the client's timer
 * is ignored, and nothing else.
 */
function postgresJsWriteAfterClose(error: { name?: string; message?: string; stack?: string }): boolean {
  // Errors come serialized from the test workers: compare by name, not instanceof.
  return (
    error.name === 'TypeError' &&
    error.message === "Cannot read properties of null (reading 'write')" &&
    /postgres\/src\/connection\.js/.test(error.stack ?? '') &&
    /nextWrite/.test(error.stack ?? '')
  )
}

// One run over every package; the shared PostgreSQL and Kafka start once here
// and each project's tests isolate themselves by database, slot and topic name.
export default defineConfig({
  test: {
    globalSetup: ['./packages/testing/src/global-setup.ts'],
    projects: ['packages/*', 'apps/*', 'e2e'],
    onUnhandledError: (error) => !postgresJsWriteAfterClose(error),
  },
})
