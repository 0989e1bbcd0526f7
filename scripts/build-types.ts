/**
 * The package's declarations (run by `npm run build`, after tsup).
 *
 * One set of declarations, dist/types/**: a .d.ts and a .d.ts.map for each
 * source file that the entries of package.json "exports" reach, compiled with
 * tsconfig.json's options. The maps point at the shipped src/, so that
 * go-to-definition in a user's editor lands in the TypeScript source.
 *
 * ESM and CommonJS each need a types file beside their code (`.d.ts` beside
 * `.js`, `.d.cts` beside `.cjs`); rather than two copies of every declaration,
 * each entry's two types files are one line, `export * from
 * './types/<entry>.js'`. dist/types is marked CommonJS (its own package.json)
 * because under `node16` resolution an ESM declaration may re-export a
 * CommonJS one but not the other way round. Declarations that use another
 * package's types (fast-check's, in mmsim/testing) also get an ESM twin in
 * dist/types-esm, which the ESM entry types re-export
 * (scripts/esm-declaration-twins.ts).
 *
 * Type errors fail the build (nothing is published from code that does not
 * type-check).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import packageJson from '../package.json' with { type: 'json' };
import { writeEsmTwins } from './esm-declaration-twins.js';
import { packageEntries } from './package-entries.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const TYPES_DIR = 'dist/types';
const ESM_TWINS_DIR = 'dist/types-esm';

/** Compiles the declarations of everything the entries reach; returns the diagnostics as text. */
function emitDeclarations(sources: readonly string[]): string {
  const config = ts.getParsedCommandLineOfConfigFile(join(root, 'tsconfig.json'), undefined, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (d) => {
      throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    },
  });
  if (config === undefined) throw new Error('cannot read tsconfig.json');
  const options: ts.CompilerOptions = {
    ...config.options,
    noEmit: false,
    emitDeclarationOnly: true,
    declaration: true,
    declarationMap: true,
    rootDir: join(root, 'src'),
    outDir: join(root, TYPES_DIR),
  };
  const program = ts.createProgram(
    sources.map((s) => join(root, s)),
    options,
  );
  const diagnostics = [...ts.getPreEmitDiagnostics(program), ...program.emit().diagnostics];
  return ts.formatDiagnosticsWithColorAndContext(diagnostics, {
    getCanonicalFileName: (f) => f,
    getCurrentDirectory: () => root,
    getNewLine: () => '\n',
  });
}

/**
 * Writes each entry's one-line types files: the `.d.cts` re-exports dist/types, the `.d.ts`
 * the entry's ESM twin when it has one (`esmTwins`, relative to dist/types), else dist/types.
 */
function writeTypeEntries(entries: ReturnType<typeof packageEntries>, esmTwins: string[]): number {
  let written = 0;
  for (const { name, types } of entries) {
    for (const file of types) {
      const dir =
        file.endsWith('.d.ts') && esmTwins.includes(`${name}.d.ts`) ? ESM_TWINS_DIR : TYPES_DIR;
      let target = posix.relative(posix.dirname(file.slice(2)), `${dir}/${name}.js`);
      if (!target.startsWith('.')) target = `./${target}`;
      const path = join(root, file);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, `export * from '${target}';\n`);
      written++;
    }
  }
  return written;
}

const entries = packageEntries(packageJson.name, packageJson.exports);
const errors = emitDeclarations(entries.map((e) => e.source));
if (errors !== '') {
  process.stderr.write(errors);
  process.exit(1);
}
writeFileSync(join(root, TYPES_DIR, 'package.json'), `${JSON.stringify({ type: 'commonjs' })}\n`);
const twins = writeEsmTwins(join(root, TYPES_DIR), join(root, ESM_TWINS_DIR));
const written = writeTypeEntries(entries, twins);
console.log(
  `types: ${TYPES_DIR}/ for ${entries.length} entries, ${written} entry types files; ESM twins (${ESM_TWINS_DIR}/): ${twins.length === 0 ? 'none' : twins.join(', ')}`,
);
