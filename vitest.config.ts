import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = fileURLToPath(new URL('./src/', import.meta.url));

export default defineConfig({
  // Examples and doc snippets import 'mmsim' as users do; the tests run them from source
  // (tsconfig.json "paths" says the same to tsc and tsx).
  resolve: {
    alias: [
      { find: /^mmsim$/, replacement: `${src}index.ts` },
      { find: /^mmsim\/(.+)$/, replacement: `${src}$1/index.ts` },
    ],
  },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
  },
});
