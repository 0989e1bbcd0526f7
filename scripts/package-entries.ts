/**
 * The package's entries, read from package.json "exports": the one list that
 * the build (tsup.config.ts, scripts/build-types.ts) and the packed-package
 * check (scripts/check-consumer.ts) follow. An entry `./x` whose import target
 * is `./dist/x/index.js` is built from `src/x/index.ts`; its types files
 * (`./dist/x/index.d.ts` for import, `.d.cts` for require) re-export the
 * declarations of `dist/types/x/index.d.ts`. A new subpath is one exports entry.
 */

/** The conditions of one exports entry that the build reads. */
interface Conditions {
  types?: string;
  default?: string;
}

/** One subpath of package.json "exports". */
export interface PackageEntry {
  /** The subpath as users import it: `'mmsim'`, `'mmsim/page'`. */
  specifier: string;
  /** The build's entry name, the output path without extension: `'index'`, `'page/index'`. */
  name: string;
  /** The source file it is built from: `'src/page/index.ts'`. */
  source: string;
  /** Its types files: `['./dist/page/index.d.ts', './dist/page/index.d.cts']`. */
  types: string[];
}

/** Every code subpath of `exports` (`./package.json` and other plain files are left out). */
export function packageEntries(
  packageName: string,
  exports: Record<string, unknown>,
): PackageEntry[] {
  const entries: PackageEntry[] = [];
  for (const [subpath, target] of Object.entries(exports)) {
    if (typeof target !== 'object' || target === null) continue;
    const conditions = target as Record<string, Conditions | undefined>;
    const name = /^\.\/dist\/(.+)\.js$/.exec(conditions.import?.default ?? '')?.[1];
    if (name === undefined) {
      throw new Error(`package.json exports["${subpath}"]: no import target ./dist/<name>.js`);
    }
    entries.push({
      specifier: subpath === '.' ? packageName : `${packageName}/${subpath.slice(2)}`,
      name,
      source: `src/${name}.ts`,
      types: Object.values(conditions).flatMap((c) => (c?.types === undefined ? [] : [c.types])),
    });
  }
  return entries;
}
