import { defineProject } from 'vitest/config'

export default defineProject({
  test: {
    name: 'relay',
    include: ['src/**/*.test.ts', 'examples/**/*.test.ts'],
    globalSetup: ['../../packages/testing/src/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
})
