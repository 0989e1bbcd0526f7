import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
const src = fileURLToPath(new URL('./src/', import.meta.url));
export default defineConfig({ resolve: { alias: [{ find: /^mmsim$/, replacement: `${src}index.ts` }, { find: /^mmsim\/(.+)$/, replacement: `${src}$1/index.ts` }] }, test: { include: ['test/{buddy,slab,vm,file,reclaim}.model.test.ts'], testTimeout: 120_000, fileParallelism: false } });
