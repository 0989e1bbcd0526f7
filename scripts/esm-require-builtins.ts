/**
 * An esbuild plugin for bundling CommonJS packages into an ES module: their
 * `require()` of Node built-ins becomes a static `import`.
 *
 * The `mmsim` executable bundles commander and cli-progress (so that library
 * users install no runtime dependencies), and both are CommonJS that call
 * `require('events')`, `require('readline')` and so on. In ESM output esbuild
 * keeps such calls as `__require(...)`, which throws "Dynamic require of ...
 * is not supported" because an ES module has no `require`. The usual fix, a
 * `createRequire` banner, would land in every file of the build (the library
 * chunks the CLI shares included). Instead each such `require('x')` is
 * resolved to a small CommonJS module, `module.exports = <x's default
 * export>`, whose value comes from an ES module doing `import x from
 * 'node:x'`: esbuild hoists that import to the top of the one chunk that
 * needs it, and library chunks are untouched.
 */
import { builtinModules } from 'node:module';

/** The subset of esbuild's plugin interface this plugin uses (tsup bundles esbuild's types). */
interface PluginBuild {
  onResolve(
    options: { filter: RegExp; namespace?: string },
    callback: (args: {
      path: string;
      kind: string;
    }) => { path: string; namespace: string } | undefined,
  ): void;
  onLoad(
    options: { filter: RegExp; namespace: string },
    callback: (args: { path: string }) => { contents: string; loader: 'js' },
  ): void;
}

/** An esbuild plugin: a name and its setup. */
export interface EsbuildPlugin {
  /** The plugin's name in esbuild's messages. */
  name: string;
  /** Registers the plugin's resolve and load hooks. */
  setup(build: PluginBuild): void;
}

const BUILTINS = new Set(builtinModules.filter((m) => !m.startsWith('_')));
const REQUIRED = 'esm-require-builtins:require';
const IMPORTED = 'esm-require-builtins:import';

/** The built-in's bare name (`'events'` for `'node:events'`), or undefined for any other module. */
function builtinName(path: string): string | undefined {
  const name = path.startsWith('node:') ? path.slice('node:'.length) : path;
  return BUILTINS.has(name) ? name : undefined;
}

/** The plugin: `require()` of a Node built-in from bundled CommonJS becomes an ESM import. */
export function esmRequireBuiltins(): EsbuildPlugin {
  return {
    name: 'esm-require-builtins',
    setup(build) {
      build.onResolve({ filter: /^[a-z_:/]+$/ }, (args) => {
        const name = args.kind === 'require-call' ? builtinName(args.path) : undefined;
        return name === undefined ? undefined : { path: name, namespace: REQUIRED };
      });
      build.onLoad({ filter: /.*/, namespace: REQUIRED }, (args) => ({
        contents: `module.exports = require(${JSON.stringify(`${IMPORTED}:${args.path}`)}).default;`,
        loader: 'js',
      }));
      build.onResolve({ filter: new RegExp(`^${IMPORTED}:`) }, (args) => ({
        path: args.path.slice(IMPORTED.length + 1),
        namespace: IMPORTED,
      }));
      build.onLoad({ filter: /.*/, namespace: IMPORTED }, (args) => ({
        contents: `import m from ${JSON.stringify(`node:${args.path}`)};\nexport default m;`,
        loader: 'js',
      }));
    },
  };
}
