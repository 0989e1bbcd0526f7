/**
 * ESM twins of the declarations that use another package's types
 * (scripts/build-types.ts runs it after tsc).
 *
 * The package's declarations are one CommonJS-typed set, dist/types/**, that
 * both the ESM and the CommonJS entry types re-export. That is exact for
 * mmsim's own types, but a declaration that imports another package's types
 * (mmsim/testing's `from 'fast-check'`) resolves that package as CommonJS
 * there; fast-check ships separate ESM and CommonJS declarations whose
 * classes are distinct types, so an ESM user's `fc.assert(fc.property(...))`
 * over mmsim/testing's arbitraries would not type-check. Those files, and
 * every file that imports one of them, get an ESM twin under
 * dist/types-esm/** (same relative paths, so the declaration maps into src/
 * still hold) whose imports of untwinned files point back into dist/types:
 * ESM users see the other package as ESM, and mmsim's own types stay one
 * declaration for both.
 */
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, posix, relative, resolve, sep } from 'node:path';
import ts from 'typescript';

/** A module specifier in a declaration file, and where its text lies. */
interface Specifier {
  text: string;
  pos: number;
  end: number;
}

/** The module specifiers of a declaration (imports, re-exports, `import()` types), comments skipped. */
function specifiers(text: string): Specifier[] {
  return ts.preProcessFile(text, true, true).importedFiles.map((f) => {
    // f.pos is the opening quote's position: the specifier's text starts at or just after it.
    const pos = text.indexOf(f.fileName, f.pos);
    return { text: f.fileName, pos, end: pos + f.fileName.length };
  });
}

/** The declaration file a relative specifier of `from` names (`./x.js` is `./x.d.ts`). */
function resolveDeclaration(from: string, specifier: string): string {
  const target = resolve(dirname(from), specifier);
  if (target.endsWith('.js')) return `${target.slice(0, -'.js'.length)}.d.ts`;
  return existsSync(`${target}.d.ts`) ? `${target}.d.ts` : join(target, 'index.d.ts');
}

/** Every .d.ts under `dir`. */
function declarationFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.d.ts'))
    .map((f) => join(dir, f));
}

/** A relative specifier from `fromFile`'s folder to the declaration `toFile`, as `.js`. */
function specifierTo(fromFile: string, toFile: string): string {
  const path = relative(dirname(fromFile), toFile).split(sep).join(posix.sep);
  const js = `${path.slice(0, -'.d.ts'.length)}.js`;
  return js.startsWith('.') ? js : `./${js}`;
}

/**
 * Writes the ESM twins of `typesDir`'s declarations that reach another package's types into
 * `twinDir`; returns the twinned files, relative to `typesDir` (`testing/index.d.ts`, ...).
 */
export function writeEsmTwins(typesDir: string, twinDir: string): string[] {
  const files = declarationFiles(typesDir);
  const texts = new Map(files.map((f) => [f, readFileSync(f, 'utf8')]));
  const importers = new Map<string, string[]>();
  const twins = new Set<string>();
  for (const [file, text] of texts) {
    for (const { text: spec } of specifiers(text)) {
      if (spec.startsWith('.')) {
        const target = resolveDeclaration(file, spec);
        importers.set(target, [...(importers.get(target) ?? []), file]);
      } else if (!spec.startsWith('node:')) {
        twins.add(file);
      }
    }
  }
  const pending = [...twins];
  for (let file = pending.pop(); file !== undefined; file = pending.pop()) {
    for (const importer of importers.get(file) ?? []) {
      if (!twins.has(importer)) {
        twins.add(importer);
        pending.push(importer);
      }
    }
  }
  for (const file of twins) {
    const twin = join(twinDir, relative(typesDir, file));
    let text = texts.get(file) ?? '';
    for (const s of specifiers(text).reverse()) {
      if (!s.text.startsWith('.')) continue;
      const target = resolveDeclaration(file, s.text);
      if (twins.has(target)) continue;
      text = `${text.slice(0, s.pos)}${specifierTo(twin, target)}${text.slice(s.end)}`;
    }
    mkdirSync(dirname(twin), { recursive: true });
    writeFileSync(twin, text);
    if (existsSync(`${file}.map`)) copyFileSync(`${file}.map`, `${twin}.map`);
  }
  if (twins.size > 0) {
    writeFileSync(join(twinDir, 'package.json'), `${JSON.stringify({ type: 'module' })}\n`);
  }
  return [...twins].map((f) => relative(typesDir, f).split(sep).join(posix.sep)).sort();
}
