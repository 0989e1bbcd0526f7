/**
 * Parsing a workload trace: JSON lines in, checked ops out, or a
 * `TraceSyntaxError` naming the line, the op and what was expected.
 *
 * This file reads the text: it splits it into lines, skips blank lines and
 * `#` comments, parses each line's JSON with its line number, takes a
 * `boot` op on the first line as the machine's options, and bounds the
 * trace's total op count. Then two passes, both before anything runs:
 *
 * 1. Each line on its own (`parseOp`, op-schemas.ts): a known op, known
 *    fields of the right types (fields.ts), defaults filled in.
 * 2. Labels across lines (`LabelChecker`, label-check.ts): defined before
 *    use, of the right kind, still alive; ranges inside their mapping.
 *
 * What only running can tell (a system call's result, the OOM killer) is
 * the replayer's business. `parseTrace` throws the first problem;
 * `validateTrace` collects them (every bad line of pass 1, or the first of
 * pass 2).
 */
import { type BootOptions, parseBootOptions } from '../boot-options.js';
import { KernelError } from '../page/errors.js';
import { type OpLocation, TraceSyntaxError } from './errors.js';
import { LabelChecker } from './label-check.js';
import { parseOp } from './op-schemas.js';
import type { Trace, TraceOp } from './ops.js';

/** The most ops a whole trace may run (repeats expanded). */
export const MAX_TRACE_OPS = 100_000_000;

/** The `boot` op's options, checked by the kernel's own validation. */
function parseBoot(raw: Record<string, unknown>, at: OpLocation): BootOptions {
  const options: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (key === 'op') continue;
    // "swap": "64M" is short for "swap": { "size": "64M" }.
    options[key] =
      key === 'swap' && (typeof value === 'string' || typeof value === 'number')
        ? { size: value }
        : value;
  }
  try {
    parseBootOptions(options as BootOptions);
  } catch (e) {
    if (e instanceof KernelError)
      throw new TraceSyntaxError(at, 'boot', e.message.replace(/^(E[A-Z]+: )?Kernel\.boot: /, ''));
    throw e;
  }
  return options as BootOptions;
}

function countOps(ops: readonly TraceOp[]): number {
  let n = 0;
  for (const op of ops) n += op.op === 'repeat' ? op.times * countOps(op.ops) : 1;
  return n;
}

/** The name a trace gets when none is given. */
export const DEFAULT_TRACE_NAME = '<trace>';

/**
 * Both passes over `text`. Each problem goes to `onError`, which returns
 * whether to go on looking for more; the trace comes back only when there
 * was none. A line that fails pass 1 is left out and the others are still
 * read; pass 2 runs only on a trace whose every line passed (a bad line's
 * labels would only cause more errors), and stops at its first problem.
 */
function readTrace(
  text: string,
  file: string,
  onError: (e: TraceSyntaxError) => boolean,
): Trace | null {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  const ops: TraceOp[] = [];
  let boot: BootOptions = {};
  let bootLine: number | null = null;
  let first = true;
  let failed = false;
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] as string).trim();
    if (line === '' || line.startsWith('#')) continue;
    const at: OpLocation = { file, line: i + 1, path: '' };
    const isFirst = first;
    first = false;
    try {
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch (e) {
        throw new TraceSyntaxError(at, null, `invalid JSON: ${(e as Error).message}`);
      }
      const isBoot =
        value !== null && typeof value === 'object' && (value as { op?: unknown }).op === 'boot';
      if (isBoot && isFirst) {
        boot = parseBoot(value as Record<string, unknown>, at);
        bootLine = i + 1;
      } else {
        ops.push(parseOp(value, at));
      }
    } catch (e) {
      if (!(e instanceof TraceSyntaxError)) throw e;
      failed = true;
      if (!onError(e)) return null;
    }
  }
  if (failed) return null;
  try {
    const checker = new LabelChecker();
    for (const op of ops) checker.check(op);
  } catch (e) {
    if (!(e instanceof TraceSyntaxError)) throw e;
    onError(e);
    return null;
  }
  const opCount = countOps(ops);
  if (opCount > MAX_TRACE_OPS) {
    onError(
      new TraceSyntaxError(
        { file, line: lines.length, path: '' },
        null,
        `the trace runs ${opCount} ops, more than the ${MAX_TRACE_OPS} allowed`,
      ),
    );
    return null;
  }
  return { file, lines: lines.length, boot, bootLine, ops, opCount };
}

function checkArguments(fn: string, text: unknown, name: unknown): void {
  if (typeof text !== 'string') {
    throw new TypeError(
      `${fn}: text must be a string (the trace's JSON lines), got ${typeof text}`,
    );
  }
  if (typeof name !== 'string') {
    throw new TypeError(`${fn}: name must be a string, got ${typeof name}`);
  }
}

/**
 * Parses and validates a trace: JSON lines in, a checked {@link Trace}
 * out, ready for {@link replayTrace}. Blank lines and lines starting with
 * `#` are ignored; line numbers count every line from 1. Nothing runs:
 * what only running can tell (a system call's result, the OOM killer) is
 * the replayer's business.
 *
 * @param text - the trace (docs/trace-format.md), e.g. a file's contents
 * @param name - the trace's name in messages (`name:line: op: ...`), e.g. its file name
 * @returns the parsed trace: its boot options and ops, every field checked and every default filled in
 * @throws TraceSyntaxError for the first problem found, with its line
 * @throws TypeError if `text` or `name` is not a string
 *
 * @example
 * ```ts
 * const trace = parseTrace(
 *   [
 *     '{"op":"boot","memory":"16M"}',
 *     '{"op":"spawn","as":"app"}',
 *     '{"op":"mmap","proc":"app","len":"64K","as":"buf"}',
 *     '{"op":"write","map":"buf","value":"index"}',
 *   ].join('\n'),
 *   'example.jsonl',
 * );
 * trace.boot; // { memory: '16M' }
 * trace.ops.map((op) => op.op); // ['spawn', 'mmap', 'write']
 * ```
 */
export function parseTrace(text: string, name: string = DEFAULT_TRACE_NAME): Trace {
  checkArguments('parseTrace', text, name);
  const trace = readTrace(text, name, (e) => {
    throw e;
  });
  // readTrace returns null only after reporting an error, which threw.
  if (trace === null) throw new Error('parseTrace: unreachable');
  return trace;
}

/** What {@link validateTrace} found: the trace, or every problem it could find. */
export type TraceValidation =
  | {
      /** The trace is valid. */
      readonly valid: true;
      /** The parsed trace, as `parseTrace` returns it. */
      readonly trace: Trace;
      /** None. */
      readonly errors: readonly [];
    }
  | {
      /** The trace is not valid. */
      readonly valid: false;
      /** None. */
      readonly trace: null;
      /** The problems found, in line order (at least one). */
      readonly errors: readonly TraceSyntaxError[];
    };

/** Options of {@link validateTrace}. */
export interface ValidateOptions {
  /** Stop after this many errors (default 100; at least 1). */
  readonly maxErrors?: number;
}

/**
 * Checks a trace as {@link parseTrace} does, but returns its problems
 * instead of throwing the first: every line that is not a valid op on its
 * own (bad JSON, an unknown op or field, a bad value), or, when every line
 * is, the first label problem (a label used before it is defined, of the
 * wrong kind, or after it died: later label problems may follow from it).
 * For editors, linters and CI checks of trace files.
 *
 * @param text - the trace's JSON lines
 * @param name - the trace's name in messages
 * @param options - {@link ValidateOptions}
 * @throws TypeError if `text` or `name` is not a string
 * @throws RangeError if `maxErrors` is not a positive integer
 *
 * @example
 * ```ts
 * const result = validateTrace('{"op":"spawn","as":"a"}\n{"op":"mmapp"}\n{"op":"kfree"}', 'x.jsonl');
 * if (!result.valid) {
 *   for (const e of result.errors) console.log(e.line, e.message);
 *   // 2 x.jsonl:2: unknown op "mmapp" (expected one of boot, spawn, ...)
 *   // 3 x.jsonl:3: kfree: "obj" is required (a label)
 * }
 * ```
 */
export function validateTrace(
  text: string,
  name: string = DEFAULT_TRACE_NAME,
  options: ValidateOptions = {},
): TraceValidation {
  checkArguments('validateTrace', text, name);
  const maxErrors = options.maxErrors ?? 100;
  if (!(Number.isSafeInteger(maxErrors) && maxErrors >= 1)) {
    throw new RangeError(
      `validateTrace: maxErrors must be a positive integer, got ${String(maxErrors)}`,
    );
  }
  const errors: TraceSyntaxError[] = [];
  const trace = readTrace(text, name, (e) => {
    errors.push(e);
    return errors.length < maxErrors;
  });
  if (trace === null) return { valid: false, trace: null, errors };
  return { valid: true, trace, errors: [] };
}
