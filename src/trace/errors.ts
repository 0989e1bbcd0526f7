/**
 * The two ways a trace can be wrong, each naming where: its line, and its
 * place inside `repeat` blocks.
 *
 * | error | when | what ran |
 * | --- | --- | --- |
 * | `TraceSyntaxError` | the text is not a valid trace: bad JSON, an unknown op or field, a value of the wrong kind, a label used before it is defined or after it died | nothing: parsing and validation run before any op |
 * | `TraceReplayError` | a well-formed op failed while it ran: a call failed against its `expect`, a segmentation fault, a `read` found another value, a kernel bug | every op before it |
 *
 * The message of both is one line, `name:line: [path: ]op: what`, as a
 * compiler words an error, so that an editor can jump to it; the fields
 * say the same for programs.
 */
import { KernelBug } from '../page/errors.js';
import { describeValue } from '../page/validate.js';

/** Where an op sits in a trace: the trace's name, its line, and its place inside `repeat` blocks. */
export interface OpLocation {
  /** The trace's name as given to {@link parseTrace} (a file name, `<stdin>`, ...). */
  readonly file: string;
  /** 1-based line number. */
  readonly line: number;
  /** `''` for a top-level op; `'repeat.ops[2]'` (nested: `'repeat.ops[0].ops[3]'`) inside repeats. */
  readonly path: string;
}

/**
 * The prefix of a message about the op at `at`: `file:line: ` and, inside
 * a repeat, the op's path.
 *
 * @example
 * ```ts
 * formatLocation({ file: 'a.jsonl', line: 3, path: '' }); // 'a.jsonl:3: '
 * formatLocation({ file: 'a.jsonl', line: 3, path: 'repeat.ops[1]' }); // 'a.jsonl:3: repeat.ops[1]: '
 * ```
 */
export function formatLocation(at: OpLocation): string {
  if (typeof at !== 'object' || at === null || typeof at.file !== 'string') {
    throw new KernelBug(`formatLocation: ${describeValue(at)} is not an op location`);
  }
  return `${at.file}:${at.line}: ${at.path === '' ? '' : `${at.path}: `}`;
}

/**
 * A malformed trace, found before anything ran. The message is
 * `file:line: op: what was expected`; `at`, `op` and `detail` hold its
 * parts.
 *
 * @example
 * ```ts
 * try {
 *   parseTrace('{"op":"mmap","proc":"a","len":-4}', 'bad.jsonl');
 * } catch (e) {
 *   if (e instanceof TraceSyntaxError) console.log(e.line, e.detail);
 * }
 * ```
 */
export class TraceSyntaxError extends Error {
  /** `'TraceSyntaxError'`. */
  override readonly name = 'TraceSyntaxError';
  constructor(
    /** Where the problem is. */
    readonly at: OpLocation,
    /** The op the line holds, or null when the line is not an op at all (bad JSON, no `"op"`). */
    readonly op: string | null,
    /** What is wrong, without the location. */
    readonly detail: string,
  ) {
    super(`${formatLocation(at)}${op === null ? '' : `${op}: `}${detail}`);
  }

  /** The 1-based line of the problem (`at.line`). */
  get line(): number {
    return this.at.line;
  }
}

/**
 * A well-formed op that failed while the trace was replayed: a call that
 * failed (or succeeded) against its `expect`, a segmentation fault, a
 * `read` that found another value, or a kernel bug. The replay stops
 * there, leaving the machine as the failing op left it.
 *
 * @example
 * ```ts
 * try {
 *   replayTrace(parseTrace(text, 'job.jsonl'));
 * } catch (e) {
 *   if (e instanceof TraceReplayError) console.log(`line ${e.line}: ${e.detail}`);
 * }
 * ```
 */
export class TraceReplayError extends Error {
  /** `'TraceReplayError'`. */
  override readonly name = 'TraceReplayError';
  constructor(
    /** Where the failing op is. */
    readonly at: OpLocation,
    /** The failing op's name. */
    readonly op: string,
    /** What happened, without the location. */
    readonly detail: string,
    /** The error the op threw (a `SegmentationFault`, a `KernelBug`, ...), if it threw one. */
    options?: { readonly cause?: unknown },
  ) {
    super(`${formatLocation(at)}${op}: ${detail}`, options);
  }

  /** The 1-based line of the failing op (`at.line`). */
  get line(): number {
    return this.at.line;
  }
}
