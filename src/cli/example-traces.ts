/**
 * The example traces shipped with the package (examples/traces/*.jsonl, in
 * package.json "files"), so that `mmsim replay fork-cow`, or the README's
 * `mmsim replay examples/traces/fork-cow.jsonl`, works from an install as
 * well as from a clone.
 *
 * A trace argument that names an existing file is always that file; only
 * when there is none does the CLI look here, and only for a bare example
 * name (`fork-cow`, `fork-cow.jsonl`) or a relative path ending in
 * `examples/traces/<name>.jsonl`. The folder is found from this module's
 * own location: dist/cli.js when installed (the folder is beside dist/) or
 * src/cli/ when run from source (two levels up).
 */
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** A bare example name, or a relative path to it as the README writes it. */
const EXAMPLE_ARGUMENT =
  /^(?:\.[\\/])?(?:examples[\\/]traces[\\/])?([a-z0-9][a-z0-9-]*)(?:\.jsonl)?$/;

/** The shipped examples folder: the first of this module's folder and its two parents holding examples/traces. */
export function exampleTracesDir(): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let up = 0; up < 3; up++) {
    const candidate = join(dir, 'examples', 'traces');
    if (existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  return undefined;
}

/** The shipped examples' names (`basic`, `fork-cow`, ...), sorted; empty if the folder is missing. */
export function exampleTraceNames(): string[] {
  const dir = exampleTracesDir();
  if (dir === undefined) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.jsonl'))
    .map((f) => f.slice(0, -'.jsonl'.length))
    .sort();
}

/**
 * The shipped example trace that `arg` names (`fork-cow`, `fork-cow.jsonl` or
 * `examples/traces/fork-cow.jsonl`), as a path; undefined if `arg` is not of
 * that form or no such example is shipped. Callers try `arg` as a file first.
 */
export function exampleTracePath(arg: string): string | undefined {
  const name = EXAMPLE_ARGUMENT.exec(arg)?.[1];
  const dir = exampleTracesDir();
  if (name === undefined || dir === undefined) return undefined;
  const file = join(dir, `${name}.jsonl`);
  return existsSync(file) ? file : undefined;
}
