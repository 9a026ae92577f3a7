import { defineProject } from 'vitest/config'

export default defineProject({
  test: {
    name: 'e2e',
    include: ['src/**/*.test.ts'],
    globalSetup: ['../packages/testing/src/global-setup.ts'],
    // Each file runs owlpost processes of its own; one at a time keeps the 2-core machine honest.
    fileParallelism: false,
    testTimeout: 180_000,
    hookTimeout: 120_000,
  },
})
