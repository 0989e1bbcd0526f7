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
 * the replayer's business. This is the entry point of the trace parser:
 * its exports are the parser's public names.
 */
import { type BootOptions, parseBootOptions } from '../../boot-options.js';
import { KernelError } from '../../page/errors.js';
import { type OpLocation, TraceSyntaxError } from '../errors.js';
import { LabelChecker } from './label-check.js';
import { parseOp } from './op-schemas.js';
import type { Trace, TraceOp } from './ops.js';

export { labelsOf, resolveLabel } from './labels.js';
export { MAX_REPEAT, OP_NAMES } from './op-schemas.js';

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

/**
 * Parses a trace. Blank lines and lines starting with `#` are ignored.
 *
 * @param text - the file's contents
 * @param file - its name, for messages (`file:line: op: ...`)
 * @throws TraceSyntaxError for the first problem found
 */
export function parseTrace(text: string, file: string): Trace {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  const ops: TraceOp[] = [];
  let boot: BootOptions = {};
  let bootLine: number | null = null;
  let first = true;
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const at: OpLocation = { file, line: i + 1, path: '' };
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (e) {
      throw new TraceSyntaxError(at, null, `invalid JSON: ${(e as Error).message}`);
    }
    const isBoot =
      value !== null && typeof value === 'object' && (value as { op?: unknown }).op === 'boot';
    if (isBoot && first) {
      boot = parseBoot(value as Record<string, unknown>, at);
      bootLine = i + 1;
    } else {
      ops.push(parseOp(value, at));
    }
    first = false;
  });
  const checker = new LabelChecker();
  for (const op of ops) checker.check(op);
  const opCount = countOps(ops);
  if (opCount > MAX_TRACE_OPS) {
    throw new TraceSyntaxError(
      { file, line: lines.length, path: '' },
      null,
      `the trace runs ${opCount} ops, more than the ${MAX_TRACE_OPS} allowed`,
    );
  }
  return { file, lines: lines.length, boot, bootLine, ops, opCount };
}
