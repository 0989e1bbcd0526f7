/**
 * `npm run check:consumer`: the package as a user gets it (run by .ci/run).
 *
 * 1. `npm pack`, as `npm publish` does (its prepack script builds), into a
 *    fresh temporary folder.
 * 2. A consumer project there installs the tarball (`npm install --offline`:
 *    the package has no runtime dependency to fetch; its optional peers,
 *    e.g. fast-check for mmsim/testing, are linked from this repository's
 *    node_modules). Nothing but mmsim may be installed, and the types must
 *    not need @types/node.
 * 3. Every code subpath of the installed package.json "exports" (read from
 *    it, never listed here) is imported as ESM and required as CommonJS,
 *    and both must give the same, non-empty set of names.
 * 4. A usage file that imports every subpath type-checks under `strict`
 *    (and skipLibCheck off, so the shipped declarations are checked too),
 *    for ESM and CommonJS files with `node16` and `nodenext` resolution,
 *    and for `bundler`; in each, the value names the types declare for a subpath
 *    must be the names its code exports, no subpath is typed `any`, and
 *    go-to-definition of every export lands in the shipped src/. The
 *    shipped examples (examples/*.ts, importing 'mmsim' and, for
 *    mmsim/testing, fast-check) type-check too, with `bundler` and
 *    `nodenext`.
 * 5. The CLI runs from it: `npx mmsim --version`, and `mmsim replay` of a
 *    shipped example trace by name.
 * 6. Every relative link and picture of the installed README and guides
 *    (docs/*.md) resolves to a shipped file.
 *
 * TypeScript is this repository's (its API, not a second install). The
 * temporary folder is removed unless `--keep` is given; `--reuse DIR` runs
 * steps 3-6 again on the consumer project of a kept folder (to debug).
 */
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { type PackageEntry, packageEntries } from './package-entries.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const keep = process.argv.includes('--keep');
const reuseAt = process.argv.indexOf('--reuse');
const reuse = reuseAt < 0 ? undefined : process.argv[reuseAt + 1];
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';
const started = Date.now();

/** Prints one step's outcome with the time since the start. */
function step(what: string): void {
  console.log(
    `check:consumer  ${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s  ${what}`,
  );
}

/** Throws with `message` (and the process output) if `ok` is false. */
function check(ok: boolean, message: string): void {
  if (!ok) throw new Error(message);
}

/** Runs a command; returns its stdout; throws with its output if it fails. */
function run(command: string, args: string[], cwd: string): string {
  const r = spawnSync(command, args, { cwd, encoding: 'utf8', env: { ...process.env } });
  if (r.status !== 0) {
    throw new Error(
      `${command} ${args.join(' ')} (in ${cwd}) exited ${r.status}:\n${r.stdout}\n${r.stderr}`,
    );
  }
  return r.stdout;
}

interface PackageJson {
  name: string;
  version: string;
  exports: Record<string, unknown>;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

/** Packs the repository into `dir` (prepack builds); returns the tarball's path. */
function pack(dir: string): string {
  run(npm, ['pack', '--pack-destination', dir, '--silent'], repo);
  const tarballs = readdirSync(dir).filter((f) => f.endsWith('.tgz'));
  check(tarballs.length === 1, `npm pack wrote ${tarballs.length} tarballs in ${dir}`);
  return join(dir, tarballs[0] ?? '');
}

/** Links `name` from this repository's node_modules into the consumer's (offline, no second install). */
function linkFromRepo(consumer: string, name: string): void {
  const from = join(repo, 'node_modules', name);
  check(existsSync(from), `${name} is not in this repository's node_modules`);
  const to = join(consumer, 'node_modules', name);
  mkdirSync(dirname(to), { recursive: true });
  if (!existsSync(to)) symlinkSync(from, to, 'junction');
}

/** Installs the tarball into a fresh project; returns the installed package.json. */
function install(consumer: string, tarball: string): PackageJson {
  mkdirSync(consumer, { recursive: true });
  writeFileSync(
    join(consumer, 'package.json'),
    `${JSON.stringify({ name: 'mmsim-consumer', private: true, type: 'module' }, null, 2)}\n`,
  );
  run(npm, ['install', tarball, '--offline', '--no-audit', '--no-fund', '--silent'], consumer);
  const installed = readdirSync(join(consumer, 'node_modules')).filter((f) => !f.startsWith('.'));
  check(
    installed.join() === 'mmsim',
    `installing mmsim installed more than mmsim: ${installed.join(', ')} (runtime dependencies?)`,
  );
  const pkg = JSON.parse(
    readFileSync(join(consumer, 'node_modules', 'mmsim', 'package.json'), 'utf8'),
  ) as PackageJson;
  check(
    Object.keys(pkg.dependencies ?? {}).length === 0,
    `mmsim has runtime dependencies: ${Object.keys(pkg.dependencies ?? {}).join(', ')}`,
  );
  for (const peer of Object.keys(pkg.peerDependencies ?? {})) linkFromRepo(consumer, peer);
  return pkg;
}

/** Imports (ESM) and requires (CJS) every entry; returns each entry's exported names. */
function loadEntries(consumer: string, entries: PackageEntry[]): Map<string, string[]> {
  const specifiers = JSON.stringify(entries.map((e) => e.specifier));
  writeFileSync(
    join(consumer, 'load.mjs'),
    `const names = {};\nfor (const s of ${specifiers}) names[s] = Object.keys(await import(s)).sort();\nconsole.log(JSON.stringify(names));\n`,
  );
  writeFileSync(
    join(consumer, 'load.cjs'),
    `const names = {};\nfor (const s of ${specifiers}) names[s] = Object.keys(require(s)).filter((k) => k !== '__esModule').sort();\nconsole.log(JSON.stringify(names));\n`,
  );
  const esm = JSON.parse(run(process.execPath, ['load.mjs'], consumer)) as Record<string, string[]>;
  const cjs = JSON.parse(run(process.execPath, ['load.cjs'], consumer)) as Record<string, string[]>;
  const names = new Map<string, string[]>();
  for (const { specifier } of entries) {
    const e = esm[specifier] ?? [];
    const c = cjs[specifier] ?? [];
    check(e.length > 0, `import('${specifier}') exports nothing`);
    check(
      e.join() === c.join(),
      `${specifier}: ESM and CommonJS export different names: only ESM ${e.filter((n) => !c.includes(n)).join(', ')}; only CJS ${c.filter((n) => !e.includes(n)).join(', ')}`,
    );
    names.set(specifier, e);
  }
  return names;
}

/** A usage file: every subpath as a namespace, plus real use of the root entry that must type-check. */
function usageSource(entries: PackageEntry[], commonjs: boolean): string {
  const lines = [
    '// Written by scripts/check-consumer.ts: what a user writes, checked under strict.',
    "import { GFP_KERNEL, Kernel, type Pfn } from 'mmsim';",
    ...entries.map((e, i) => `import * as entry${i} from '${e.specifier}';`),
    '',
    'type IsAny<T> = 0 extends 1 & T ? true : false;',
    ...entries.map((_, i) => `export const notAny${i}: IsAny<typeof entry${i}> = false;`),
    '',
    "const k: Kernel = Kernel.boot({ memory: '16M' });",
    'const pfn: Pfn | null = k.allocPages(GFP_KERNEL, 0);',
    'if (pfn !== null) k.freePages(pfn, 0);',
    '// @ts-expect-error: memory is a number or a size string, so the types are not `any`',
    'Kernel.boot({ memory: true });',
    `export const flavour = '${commonjs ? 'commonjs' : 'esm'}';`,
    '',
  ];
  return lines.join('\n');
}

/** The value names a module's declarations export (types and interfaces left out). */
function declaredValues(checker: ts.TypeChecker, moduleSymbol: ts.Symbol): string[] {
  return checker
    .getExportsOfModule(moduleSymbol)
    .filter((s) => {
      const target = s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s;
      return (target.flags & ts.SymbolFlags.Value) !== 0;
    })
    .map((s) => s.name)
    .sort();
}

/** A position in a file, as TypeScript's source mapper takes and gives it. */
interface FilePosition {
  fileName: string;
  pos: number;
}

/**
 * Where go-to-definition lands for a position in a declaration file: TypeScript's own source
 * mapper, the one its language service uses to follow declaration maps for editors (an
 * internal export of typescript 5.x, hence the cast and the check that it exists).
 */
function definitionMapper(
  program: ts.Program,
  cwd: string,
): (at: FilePosition) => FilePosition | undefined {
  const internal = ts as unknown as {
    getSourceMapper?: (host: object) => {
      tryGetSourcePosition(at: FilePosition): FilePosition | undefined;
    };
  };
  const create = internal.getSourceMapper;
  check(typeof create === 'function', 'this typescript has no getSourceMapper');
  const mapper = create?.({
    useCaseSensitiveFileNames: () => ts.sys.useCaseSensitiveFileNames,
    getCurrentDirectory: () => cwd,
    getProgram: () => program,
    fileExists: ts.sys.fileExists,
    readFile: ts.sys.readFile,
    log: () => {},
  });
  return (at) => mapper?.tryGetSourcePosition(at);
}

/** What one type check covered: subpaths whose names were compared, and exports whose definition was followed. */
interface Coverage {
  compared: number;
  definitions: number;
}

/**
 * Type-checks `files` with `options`. For each subpath they import, the value names its
 * declarations export must be `names` (what its code exports), and every export's
 * declaration must map (declaration maps) to a shipped file of src/: go-to-definition.
 */
function typeCheck(
  consumer: string,
  label: string,
  files: string[],
  options: ts.CompilerOptions,
  names: Map<string, string[]>,
): Coverage {
  let compared = 0;
  let definitions = 0;
  const shippedSrc = join(consumer, 'node_modules', 'mmsim', 'src');
  const program = ts.createProgram(
    files.map((f) => join(consumer, f)),
    {
      strict: true,
      noUncheckedIndexedAccess: true,
      exactOptionalPropertyTypes: true,
      skipLibCheck: false,
      noEmit: true,
      target: ts.ScriptTarget.ES2022,
      lib: ['lib.es2022.d.ts'],
      types: [],
      ...options,
    },
  );
  const diagnostics = ts.getPreEmitDiagnostics(program);
  check(
    diagnostics.length === 0,
    `type check (${label}) failed:\n${ts.formatDiagnostics(diagnostics, {
      getCanonicalFileName: (f) => f,
      getCurrentDirectory: () => consumer,
      getNewLine: () => '\n',
    })}`,
  );
  const checker = program.getTypeChecker();
  const definitionOf = definitionMapper(program, consumer);
  for (const file of files) {
    const source = program.getSourceFile(join(consumer, file));
    check(source !== undefined, `${file} is not in the program`);
    const seen = new Set<string>();
    for (const statement of source?.statements ?? []) {
      if (!ts.isImportDeclaration(statement) || !ts.isStringLiteral(statement.moduleSpecifier)) {
        continue;
      }
      const specifier = statement.moduleSpecifier.text;
      const runtime = names.get(specifier);
      if (runtime === undefined || seen.has(specifier)) continue;
      seen.add(specifier);
      const symbol = checker.getSymbolAtLocation(statement.moduleSpecifier);
      check(symbol !== undefined, `${label}: ${specifier} has no declarations`);
      if (symbol === undefined) continue;
      const declared = declaredValues(checker, symbol);
      check(
        declared.join() === runtime.join(),
        `${label}: ${specifier}: the types and the code export different values: only in types ${declared.filter((n) => !runtime.includes(n)).join(', ')}; only in code ${runtime.filter((n) => !declared.includes(n)).join(', ')}`,
      );
      compared++;
      const unmapped: string[] = [];
      for (const exported of checker.getExportsOfModule(symbol)) {
        const target =
          exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
        const declaration = target.declarations?.[0];
        if (declaration === undefined) continue;
        const at = { fileName: declaration.getSourceFile().fileName, pos: declaration.getStart() };
        const source = definitionOf(at);
        if (source?.fileName.startsWith(shippedSrc) === true && existsSync(source.fileName)) {
          definitions++;
        } else {
          unmapped.push(`${exported.name} (${at.fileName})`);
        }
      }
      check(
        unmapped.length === 0,
        `${label}: ${specifier}: go-to-definition does not reach src/ for ${unmapped.length} exports: ${unmapped.slice(0, 5).join(', ')}`,
      );
    }
  }
  return { compared, definitions };
}

/** The shipped examples (examples/*.ts, importing 'mmsim' as a user would) type-check against the installed package. */
function typeCheckExamples(consumer: string, label: string, options: ts.CompilerOptions): number {
  linkFromRepo(consumer, '@types/node');
  const examples = join(consumer, 'node_modules', 'mmsim', 'examples');
  const files = readdirSync(examples)
    .filter((f) => f.endsWith('.ts'))
    .map((f) => join(examples, f));
  const program = ts.createProgram(files, {
    strict: true,
    noUncheckedIndexedAccess: true,
    noEmit: true,
    skipLibCheck: true,
    target: ts.ScriptTarget.ES2022,
    lib: ['lib.es2022.d.ts'],
    types: ['node'],
    typeRoots: [join(consumer, 'node_modules', '@types')],
    ...options,
  });
  const diagnostics = ts.getPreEmitDiagnostics(program);
  check(
    diagnostics.length === 0,
    `the shipped examples do not type-check against the package (${label}):\n${ts.formatDiagnostics(
      diagnostics,
      {
        getCanonicalFileName: (f) => f,
        getCurrentDirectory: () => consumer,
        getNewLine: () => '\n',
      },
    )}`,
  );
  return files.length;
}

/** The CLI from the install: its version, and a replay of a shipped example by name. */
function runCli(consumer: string, pkg: PackageJson, example: string): void {
  const version = run(npx, ['--offline', 'mmsim', '--version'], consumer).trim();
  check(version === pkg.version, `npx mmsim --version printed ${version}, not ${pkg.version}`);
  const replay = run(npx, ['--offline', 'mmsim', 'replay', example, '--json'], consumer);
  const report = JSON.parse(replay) as { command?: unknown };
  check(report.command === 'replay', `mmsim replay ${example} --json printed ${replay}`);
}

/** The relative link and picture targets of a Markdown text (no URLs, no in-page anchors). */
function relativeLinks(markdown: string): string[] {
  return [...markdown.matchAll(/!?\[[^\]]*\]\(([^)\s]+)[^)]*\)/g)]
    .map((m) => m[1] ?? '')
    .filter((t) => !/^[a-z]+:|^#/.test(t))
    .map((t) => t.replace(/#.*$/, ''));
}

/** Every relative link and picture of the installed README and shipped guides points at a shipped file. */
function checkDocLinks(consumer: string): number {
  const root = join(consumer, 'node_modules', 'mmsim');
  const docs = [
    'README.md',
    ...readdirSync(join(root, 'docs'))
      .filter((f) => f.endsWith('.md'))
      .map((f) => `docs/${f}`),
  ];
  let links = 0;
  const missing: string[] = [];
  for (const doc of docs) {
    for (const target of relativeLinks(readFileSync(join(root, doc), 'utf8'))) {
      links++;
      if (!existsSync(join(root, dirname(doc), target))) missing.push(`${doc} -> ${target}`);
    }
  }
  check(missing.length === 0, `links to files the package does not ship: ${missing.join(', ')}`);
  return links;
}

function main(): void {
  const dir = reuse === undefined ? mkdtempSync(join(tmpdir(), 'mmsim-consumer-')) : resolve(reuse);
  try {
    const consumer = join(dir, 'consumer');
    let pkg: PackageJson;
    if (reuse === undefined) {
      const tarball = pack(dir);
      step(`packed ${tarball}`);
      pkg = install(consumer, tarball);
    } else {
      pkg = JSON.parse(
        readFileSync(join(consumer, 'node_modules', 'mmsim', 'package.json'), 'utf8'),
      ) as PackageJson;
    }
    const entries = packageEntries(pkg.name, pkg.exports);
    step(
      `installed ${pkg.name}@${pkg.version} alone; subpaths: ${entries.map((e) => e.specifier).join(', ')}`,
    );
    const names = loadEntries(consumer, entries);
    step(
      `imported (ESM) and required (CJS) every subpath: same names (${[...names.values()].reduce((n, v) => n + v.length, 0)} in all)`,
    );
    writeFileSync(join(consumer, 'usage.mts'), usageSource(entries, false));
    writeFileSync(join(consumer, 'usage.cts'), usageSource(entries, true));
    writeFileSync(join(consumer, 'usage.ts'), usageSource(entries, false));
    const node16 = {
      module: ts.ModuleKind.Node16,
      moduleResolution: ts.ModuleResolutionKind.Node16,
    };
    const nodenext = {
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
    };
    const bundler = {
      module: ts.ModuleKind.ESNext,
      moduleResolution: ts.ModuleResolutionKind.Bundler,
    };
    const coverage = [
      typeCheck(consumer, 'node16', ['usage.mts', 'usage.cts'], node16, names),
      typeCheck(consumer, 'nodenext', ['usage.mts', 'usage.cts'], nodenext, names),
      typeCheck(consumer, 'bundler', ['usage.ts'], bundler, names),
    ];
    const compared = coverage.reduce((n, c) => n + c.compared, 0);
    check(
      compared === 5 * entries.length,
      `compared ${compared} subpaths' names, not ${5 * entries.length}`,
    );
    step(
      `type-checked every subpath under strict: node16 and nodenext (ESM and CJS files), bundler; types match the code; go-to-definition reaches src/ (${coverage[2]?.definitions} exports)`,
    );
    const examples =
      typeCheckExamples(consumer, 'bundler', bundler) +
      typeCheckExamples(consumer, 'nodenext', nodenext);
    step(
      `type-checked the ${examples / 2} shipped examples against the installed package (bundler, nodenext)`,
    );
    runCli(consumer, pkg, 'fork-cow');
    step('ran npx mmsim --version and mmsim replay fork-cow (a shipped example) --json');
    const links = checkDocLinks(consumer);
    step(`README and docs/*.md: ${links} relative links and pictures, all to shipped files`);
  } finally {
    if (keep || reuse !== undefined) console.log(`check:consumer: kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

try {
  main();
} catch (e) {
  console.error(`check:consumer: FAILED: ${(e as Error).message}`);
  process.exitCode = 1;
}
