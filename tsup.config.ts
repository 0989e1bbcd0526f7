import { defineConfig } from 'tsup';

export default defineConfig([
  {
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
    // Both builds write dist/ at once: this one leaves the CLI's files alone.
    clean: ['!cli.js'],
    target: 'node20',
    splitting: true,
    treeshake: true,
  },
  {
    // The `mmsim` executable (package.json "bin"): ESM only, no types, with a shebang.
    // commander and cli-progress stay external (they are dependencies); the library is
    // bundled in, so the file stands alone. No source map: it would triple the file.
    entry: { cli: 'src/cli/bin.ts' },
    format: ['esm'],
    dts: false,
    sourcemap: false,
    clean: false,
    target: 'node20',
    splitting: false,
    treeshake: true,
    banner: { js: '#!/usr/bin/env node' },
  },
]);
