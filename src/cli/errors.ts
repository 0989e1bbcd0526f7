/**
 * The CLI's errors and the exit codes they map to. Every failure the CLI
 * reports is one of these, so that `main` can turn it into one line on
 * stderr and an exit code without guessing:
 *
 * | exit | error | meaning |
 * | --- | --- | --- |
 * | 0 | | success |
 * | 1 | `RuntimeFailure` | the input was well formed but running it failed (a segmentation fault in a trace, a system call that failed unexpectedly, a broken invariant) |
 * | 2 | `UsageError`, `TraceSyntaxError` | bad command line or malformed trace: nothing was run |
 */

/** Exit status of a successful run. */
export const EXIT_OK = 0;
/** Exit status of a run that failed while running well-formed input. */
export const EXIT_FAILURE = 1;
/** Exit status of a bad command line or a malformed trace. */
export const EXIT_USAGE = 2;

/** A bad command line: an unknown option, a bad value, a file that cannot be read. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Where an op sits in a trace file: its line, and its place inside `repeat` blocks. */
export interface OpLocation {
  /** The trace file as named on the command line. */
  readonly file: string;
  /** 1-based line number. */
  readonly line: number;
  /** `''` for a top-level op; `'repeat.ops[2]'` (nested: `'repeat.ops[0].ops[3]'`) inside repeats. */
  readonly path: string;
}

/** `file:line: [path: ]` */
export function formatLocation(at: OpLocation): string {
  return `${at.file}:${at.line}: ${at.path === '' ? '' : `${at.path}: `}`;
}

/**
 * A malformed trace, found before anything ran: the message is
 * `file:line: op: what was expected`.
 */
export class TraceSyntaxError extends Error {
  override readonly name = 'TraceSyntaxError';
  constructor(
    readonly at: OpLocation,
    readonly op: string | null,
    readonly detail: string,
  ) {
    super(`${formatLocation(at)}${op === null ? '' : `${op}: `}${detail}`);
  }
}

/**
 * Running well-formed input failed: a trace op faulted or failed
 * unexpectedly (with its location), or the demo's machine misbehaved.
 */
export class RuntimeFailure extends Error {
  override readonly name = 'RuntimeFailure';
  constructor(
    message: string,
    readonly at: OpLocation | null = null,
  ) {
    super(message);
  }
}
