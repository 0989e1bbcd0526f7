/**
 * The JavaScript build (`npm run build` then writes the declarations: scripts/build-types.ts).
 * Two builds write dist/ at once:
 *
 * - ESM: every library entry and the `mmsim` executable together, so dist/cli.js is a thin
 *   entry over the library's own chunks (it carries no second copy of the library). The CLI's
 *   commander and cli-progress are devDependencies bundled into it, so library users install
 *   nothing else; their `require()` of Node built-ins becomes an import (esmRequireBuiltins).
 * - CommonJS: the library entries only.
 *
 * No source maps: go-to-definition comes from declaration maps into the shipped src/.
 * The entries are read from package.json "exports" (scripts/package-entries.ts), so a new
 * subpath is one exports entry.
 */
import { defineConfig } from 'tsup';
import packageJson from './package.json' with { type: 'json' };
import { esmRequireBuiltins } from './scripts/esm-require-builtins.js';
import { packageEntries } from './scripts/package-entries.js';

const entry = Object.fromEntries(
  packageEntries(packageJson.name, packageJson.exports).map((e) => [e.name, e.source]),
);

export default defineConfig([
  {
    entry: { ...entry, cli: 'src/cli/bin.ts' },
    format: ['esm'],
    dts: false,
    sourcemap: false,
    clean: true,
    target: 'node20',
    splitting: true,
    // esbuild's own tree shaking only: tsup's extra rollup pass saved 25 KB of ESM but added
    // 46 KB of CommonJS, and tripled the build time.
    treeshake: false,
    noExternal: ['commander', 'cli-progress'],
    // Keep `node:` specifiers: tsup would otherwise strip them and mark the modules external
    // before esmRequireBuiltins sees them.
    removeNodeProtocol: false,
    esbuildPlugins: [esmRequireBuiltins()],
  },
  {
    entry,
    format: ['cjs'],
    removeNodeProtocol: false,
    dts: false,
    sourcemap: false,
    clean: false,
    target: 'node20',
    splitting: true,
    treeshake: false,
  },
]);
