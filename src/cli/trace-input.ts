/**
 * Where the CLI gets a trace: a file, standard input for `-`, or, when no
 * such file exists, a shipped example named by its name (`fork-cow`) or
 * its path in the repository (`examples/traces/fork-cow.jsonl`, so the
 * README's commands work from an install; example-traces.ts). The text is
 * parsed by the library's `parseTrace` (src/trace), so the CLI and a
 * program that imports `mmsim/trace` accept exactly the same traces.
 */
import { existsSync, readFileSync } from 'node:fs';
import { parseTrace, type Trace } from '../trace/index.js';
import { UsageError } from './errors.js';
import { exampleTraceNames, exampleTracePath } from './example-traces.js';
import type { CliIo } from './io.js';

/** The name messages give a trace read from standard input. */
export const STDIN_NAME = '<stdin>';

/**
 * Reads and parses the trace `file` names (`-`: standard input; a shipped
 * example's name when no such file exists). Messages name the trace as
 * `file` was given.
 *
 * @throws UsageError (exit 2) when it cannot be read
 * @throws TraceSyntaxError (exit 2) when it is malformed
 */
export function loadTrace(file: string, io: CliIo): Trace {
  if (file === '-') {
    if (io.readStdin === undefined) {
      throw new UsageError('a trace named "-" is read from standard input, and there is none here');
    }
    let text: string;
    try {
      text = io.readStdin();
    } catch (e) {
      throw new UsageError(
        `cannot read the trace from standard input: ${(e as Error).message}`,
        'read-failed',
      );
    }
    return parseTrace(text, STDIN_NAME);
  }
  const path = existsSync(file) ? file : (exampleTracePath(file) ?? file);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const examples = exampleTraceNames();
    throw new UsageError(
      `cannot read trace ${JSON.stringify(file)}: ${(e as Error).message}${examples.length === 0 ? '' : `; shipped examples: ${examples.join(', ')}`}`,
      'read-failed',
    );
  }
  return parseTrace(text, file);
}
