import { defineConfig } from 'tsup';

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    'page/index': 'src/page/index.ts',
    'gfp/index': 'src/gfp/index.ts',
    'buddy/index': 'src/buddy/index.ts',
    'slab/index': 'src/slab/index.ts',
    'vm/index': 'src/vm/index.ts',
  },
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  splitting: true,
  treeshake: true,
});
