import { defineConfig } from 'vitest/config';
export default defineConfig({ test: { include: ['t1old/**/*.test.ts'], testTimeout: 120_000, fileParallelism: false } });
