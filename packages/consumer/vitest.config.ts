import { defineProject } from 'vitest/config'

export default defineProject({
  test: {
    name: 'consumer',
    include: ['src/**/*.test.ts'],
    globalSetup: ['../../packages/testing/src/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
})
