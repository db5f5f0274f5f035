import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Integration suites start real node processes; the machine has two cores.
    fileParallelism: true,
    maxWorkers: 2,
    minWorkers: 1,
  },
});
