import { defineConfig } from 'vitest/config'

// One run over every package; the shared PostgreSQL and Kafka start once here
// and each project's tests isolate themselves by database, slot and topic name.
export default defineConfig({
  test: {
    globalSetup: ['./packages/testing/src/global-setup.ts'],
    projects: ['packages/*', 'apps/*', 'e2e'],
  },
})
